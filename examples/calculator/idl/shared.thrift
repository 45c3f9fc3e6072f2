// Definitions any service of the tutorial can share: a keyed log entry and
// a service that looks entries up.

namespace rs shared
namespace py shared

/** One entry of the calculation log. */
struct LogEntry {
  1: i32 key,
  2: string value,
}

/** Reads the log that services extending this one keep. */
service Logbook {
  /** The entry logged under `key`; an empty entry (key 0) when none is. */
  LogEntry getEntry(1: i32 key),
}
