//! What the async service tests share: the generated code of
//! `fixtures/valid/services.thrift` with the option `async_services` (its
//! golden files), and one handler serving it both ways, blocking and async.
//!
//! `Calc` answers `add(a, b)` with `a + b`, except for the first operands
//! below, which make it fail in each way a handler can ([`FAIL_INVALID`],
//! ...). `log` and `legacy_log` send their line on a channel, the signal
//! that a oneway call was served. `ping` counts into state every
//! connection shares.

#![allow(dead_code)] // each test file uses part of it

// Generated code: rustfmt must not reformat the golden files.
#[rustfmt::skip]
#[path = "../../golden/rs/services_async/mod.rs"]
#[allow(dead_code)] // the generated API is broader than these tests
pub mod idl;

use idl::services::*;
use idl::shared::*;
use std::collections::{HashMap, HashSet};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use thriftc_runtime::{ApplicationError, ApplicationErrorKind, Error, ProtocolErrorKind};
use tokio::sync::mpsc;

/// `add(FAIL_INVALID, _)`: the declared exception `invalid`.
pub const FAIL_INVALID: i32 = -1;
/// `add(FAIL_SHARED, _)`: the declared exception `shared_error`.
pub const FAIL_SHARED: i32 = -2;
/// `add(FAIL_APPLICATION, _)`: an application error, sent as is.
pub const FAIL_APPLICATION: i32 = -3;
/// `add(FAIL_UNDECLARED, _)`: an error `add` does not declare.
pub const FAIL_UNDECLARED: i32 = -4;
/// `add(FAIL_PANIC, _)`: the handler panics.
pub const FAIL_PANIC: i32 = -5;

/// The message of the application error `add(FAIL_APPLICATION, _)` returns.
pub const APPLICATION_MESSAGE: &str = "told to fail";
/// `log(LOG_PANIC)`: the (oneway) handler panics.
pub const LOG_PANIC: &str = "panic, please";

/// The detail of the undeclared error, which must not reach the client.
pub const UNDECLARED_DETAIL: &str = "secret detail";

/// Panics the tests cause on purpose carry this text; the panic hook stays
/// quiet about them (and only them).
pub const DELIBERATE: &str = "deliberate test panic";

/// Keeps the deliberate panics out of the test output.
pub fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if !text.contains(DELIBERATE) {
                default(info);
            }
        }));
    });
}

/// The handler: blocking and async, with state shared by every
/// connection.
pub struct Calc {
    pings: AtomicUsize,
    logged: mpsc::UnboundedSender<String>,
}

impl Calc {
    /// A handler, and the receiving end of what `log` and `legacy_log`
    /// were sent.
    pub fn new() -> (Calc, mpsc::UnboundedReceiver<String>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let calc = Calc {
            pings: AtomicUsize::new(0),
            logged: tx,
        };
        (calc, rx)
    }

    /// How many `ping`s it served.
    pub fn pings(&self) -> usize {
        self.pings.load(Ordering::SeqCst)
    }

    fn ping_now(&self) {
        self.pings.fetch_add(1, Ordering::SeqCst);
    }

    fn add_now(&self, a: i32, b: i32) -> Result<i32, CalculatorAddError> {
        match a {
            FAIL_INVALID => Err(CalculatorAddError::Invalid(InvalidArgument {
                reason: format!("{a} is out of range"),
            })),
            FAIL_SHARED => Err(CalculatorAddError::SharedError(SharedError {
                message: "shared failure".to_owned(),
            })),
            FAIL_APPLICATION => Err(CalculatorAddError::Application(ApplicationError::new(
                ApplicationErrorKind::Unknown,
                APPLICATION_MESSAGE,
            ))),
            FAIL_UNDECLARED => {
                Err(Error::protocol(ProtocolErrorKind::Unknown, UNDECLARED_DETAIL).into())
            }
            FAIL_PANIC => panic!("{DELIBERATE}: add"),
            _ => a.checked_add(b).ok_or_else(|| {
                CalculatorAddError::Invalid(InvalidArgument {
                    reason: "overflow".to_owned(),
                })
            }),
        }
    }

    fn log_now(&self, line: String) {
        if line == LOG_PANIC {
            panic!("{DELIBERATE}: log");
        }
        // The receiver may be gone once a test has what it waited for.
        let _ = self.logged.send(line);
    }

    fn group_now(keys: HashSet<i32>) -> HashMap<String, Vec<SharedStruct>> {
        let mut out: HashMap<String, Vec<SharedStruct>> = HashMap::new();
        let mut keys: Vec<i32> = keys.into_iter().collect();
        keys.sort_unstable();
        for key in keys {
            let parity = if key % 2 == 0 { "even" } else { "odd" };
            out.entry(parity.to_owned())
                .or_default()
                .push(shared_struct(key));
        }
        out
    }

    fn get_struct_now(key: i32) -> Result<SharedStruct, SharedServiceGetStructError> {
        if key < 0 {
            return Err(SharedServiceGetStructError::Error(SharedError {
                message: format!("no struct {key}"),
            }));
        }
        Ok(shared_struct(key))
    }
}

/// What `get_struct(key)` and `group` answer for `key`.
pub fn shared_struct(key: i32) -> SharedStruct {
    SharedStruct {
        key,
        value: format!("value {key}"),
    }
}

impl SharedServiceAsyncHandler for Calc {
    async fn get_struct(&self, key: i32) -> Result<SharedStruct, SharedServiceGetStructError> {
        // A real await point: the future is suspended once.
        tokio::task::yield_now().await;
        Calc::get_struct_now(key)
    }
}

impl CalculatorAsyncHandler for Calc {
    async fn ping(&self) -> Result<(), CalculatorPingError> {
        self.ping_now();
        Ok(())
    }

    async fn add(&self, a: i32, b: i32) -> Result<i32, CalculatorAddError> {
        tokio::task::yield_now().await;
        self.add_now(a, b)
    }

    async fn log(&self, line: String) -> Result<(), CalculatorLogError> {
        self.log_now(line);
        Ok(())
    }

    async fn legacy_log(&self, line: String) -> Result<(), CalculatorLegacyLogError> {
        self.log_now(format!("legacy: {line}"));
        Ok(())
    }

    async fn group(
        &self,
        keys: HashSet<i32>,
    ) -> Result<HashMap<String, Vec<SharedStruct>>, CalculatorGroupError> {
        Ok(Calc::group_now(keys))
    }

    async fn level(&self) -> Result<Level, CalculatorLevelError> {
        Ok(Level::HIGH)
    }
}

impl ScientificAsyncHandler for Calc {
    async fn power(&self, base: f64, exponent: f64) -> Result<f64, ScientificPowerError> {
        Ok(base.powf(exponent))
    }
}

impl SharedServiceHandler for Calc {
    fn get_struct(&self, key: i32) -> Result<SharedStruct, SharedServiceGetStructError> {
        Calc::get_struct_now(key)
    }
}

impl CalculatorHandler for Calc {
    fn ping(&self) -> Result<(), CalculatorPingError> {
        self.ping_now();
        Ok(())
    }

    fn add(&self, a: i32, b: i32) -> Result<i32, CalculatorAddError> {
        self.add_now(a, b)
    }

    fn log(&self, line: String) -> Result<(), CalculatorLogError> {
        self.log_now(line);
        Ok(())
    }

    fn legacy_log(&self, line: String) -> Result<(), CalculatorLegacyLogError> {
        self.log_now(format!("legacy: {line}"));
        Ok(())
    }

    fn group(
        &self,
        keys: HashSet<i32>,
    ) -> Result<HashMap<String, Vec<SharedStruct>>, CalculatorGroupError> {
        Ok(Calc::group_now(keys))
    }

    fn level(&self) -> Result<Level, CalculatorLevelError> {
        Ok(Level::HIGH)
    }
}

impl ScientificHandler for Calc {
    fn power(&self, base: f64, exponent: f64) -> Result<f64, ScientificPowerError> {
        Ok(base.powf(exponent))
    }
}

/// What `group` answers for `keys`.
pub fn grouped(keys: &[i32]) -> HashMap<String, Vec<SharedStruct>> {
    Calc::group_now(keys.iter().copied().collect())
}
