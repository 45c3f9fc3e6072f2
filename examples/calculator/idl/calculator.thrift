// The calculator of the classic Thrift tutorial, for thriftc: a service
// that extends one from an included file, an enum, a struct argument, a
// declared exception, a void method and a oneway one.

include "shared.thrift"

namespace rs calculator
namespace py calculator

/** Integer constants are usable from every generated language. */
const i32 MAX_OPERAND = 1000000

enum Op {
  ADD = 1,
  SUBTRACT = 2,
  MULTIPLY = 3,
  DIVIDE = 4,
}

/** One calculation: `left op right`. */
struct Work {
  1: i32 left = 0,
  2: i32 right,
  3: Op op,
  /** Free text, kept in the log. */
  4: optional string comment,
}

/** The calculation cannot be done. Its `Display` shows `why`. */
exception BadWork {
  1: Op op,
  2: string why,
} (message = "why")

/** A calculator that logs every calculation under the caller's key. */
service Calculator extends shared.Logbook {
  /** Answers at once; for checking that the server is up. */
  void ping(),

  /** `a + b` (wrapping on overflow). */
  i32 add(1: i32 a, 2: i32 b),

  /**
   * Does `work`, logs the result under `key` (see `getEntry`) and returns
   * it. Raises BadWork for a division by zero, or an operand whose
   * magnitude exceeds MAX_OPERAND.
   */
  i32 calculate(1: i32 key, 2: Work work) throws (1: BadWork bad),

  /** Counts a "zip": no reply, the caller does not wait. */
  oneway void zip(),

  /** How many zips arrived so far. */
  i64 zips(),
}
