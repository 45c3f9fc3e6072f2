// Types shared by several services.

/** Someone to greet. */
struct Person {
  1: required string name
  /** Years; unknown when absent. */
  2: optional i16 age
  3: Mood mood = Mood.CHEERFUL
}

enum Mood {
  CHEERFUL = 1
  GRUMPY = 2
}

/** The greeter refuses to greet this person. */
exception Unwelcome {
  1: string reason
}
