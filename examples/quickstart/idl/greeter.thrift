// Found through the include folder given to thriftc (`idl/common`).
include "people.thrift"

/** Greets people and counts them. */
service Greeter {
  /** A greeting for `who`; grumpy people are turned away. */
  string greet(1: people.Person who) throws (1: people.Unwelcome unwelcome)

  /** How many people were greeted so far. */
  i64 greeted()
}
