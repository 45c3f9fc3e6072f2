//! Generated async code without a network (option `async_services`, the
//! golden `services_async`):
//!
//! - handlers written with `async fn` implement the generated traits, and
//!   their processors are the runtime's `AsyncProcessor` (so their futures
//!   are `Send`): checked by compiling;
//! - generated async clients over an in-memory `AsyncChannel` that records
//!   what is sent and answers with queued result structs: the method name
//!   (with the service's prefix when multiplexed), the arguments struct,
//!   and the unpacking of each reply (success, each declared exception, no
//!   result, errors of the channel), for own and inherited methods and
//!   oneway ones.

#![deny(warnings)]

mod async_common;

use async_common::idl::services::*;
use async_common::idl::shared::*;
use async_common::{Calc, grouped, shared_struct};
use std::collections::{HashSet, VecDeque};
use std::future::Future;
use thriftc_runtime::tokio::{AsyncChannel, AsyncProcessor};
use thriftc_runtime::{
    ApplicationErrorKind, Decode, Encode, Error, ProtocolErrorKind, Result, binary,
};

/// One message the channel was given: method name, encoded arguments, and
/// whether it was oneway.
#[derive(Debug, PartialEq)]
struct Sent {
    method: String,
    args: Vec<u8>,
    oneway: bool,
}

/// An in-memory channel: records calls and answers each CALL with the
/// next queued reply (an encoded result struct, or an error).
#[derive(Default)]
struct Recorder {
    sent: Vec<Sent>,
    replies: VecDeque<Result<Vec<u8>>>,
}

impl Recorder {
    fn answer<R: Encode>(&mut self, result: &R) {
        self.replies
            .push_back(Ok(binary::encode(result).expect("encode a reply")));
    }

    fn fail(&mut self, e: Error) {
        self.replies.push_back(Err(e));
    }

    fn record<A: Encode>(&mut self, method: &str, args: &A, oneway: bool) {
        self.sent.push(Sent {
            method: method.to_owned(),
            args: binary::encode(args).expect("encode the arguments"),
            oneway,
        });
    }
}

impl AsyncChannel for Recorder {
    fn call<A: Encode + Sync, R: Decode + Send>(
        &mut self,
        method: &str,
        args: &A,
    ) -> impl Future<Output = Result<R>> + Send {
        self.record(method, args, false);
        let reply = self.replies.pop_front().expect("a reply queued");
        async move { binary::decode::<R>(&reply?) }
    }

    fn call_oneway<A: Encode + Sync>(
        &mut self,
        method: &str,
        args: &A,
    ) -> impl Future<Output = Result<()>> + Send {
        self.record(method, args, true);
        async { Ok(()) }
    }
}

fn sent(method: &str, args: &impl Encode, oneway: bool) -> Sent {
    Sent {
        method: method.to_owned(),
        args: binary::encode(args).unwrap(),
        oneway,
    }
}

fn add_result(
    success: Option<i32>,
    invalid: Option<InvalidArgument>,
    shared_error: Option<SharedError>,
) -> CalculatorAddResult {
    CalculatorAddResult {
        success,
        invalid,
        shared_error,
    }
}

#[test]
fn async_handlers_make_processors_the_runtime_can_serve() {
    fn serveable<P: AsyncProcessor>(_: &P) {}
    let (calc, _logged) = Calc::new();
    let calc = std::sync::Arc::new(calc);
    let scientific = ScientificAsyncProcessor::from_arc(calc.clone());
    serveable(&scientific);
    serveable(&scientific.clone());
    serveable(&CalculatorAsyncProcessor::from_arc(calc.clone()));
    serveable(&SharedServiceAsyncProcessor::from_arc(calc.clone()));
    assert!(std::sync::Arc::ptr_eq(scientific.handler(), &calc));
    // A service with no methods, served by a handler of nothing.
    struct Nothing;
    impl EmptyAsyncHandler for Nothing {}
    serveable(&EmptyAsyncProcessor::new(Nothing));
}

#[tokio::test]
async fn results_are_unpacked_as_the_blocking_client_unpacks_them() {
    let mut client = CalculatorAsyncClient::new(Recorder::default());
    let ch = client.inner_mut();
    ch.answer(&add_result(Some(5), None, None));
    let invalid = InvalidArgument {
        reason: "out of range".to_owned(),
    };
    ch.answer(&add_result(None, Some(invalid.clone()), None));
    let shared = SharedError {
        message: "shared".to_owned(),
    };
    ch.answer(&add_result(None, None, Some(shared.clone())));
    // Neither a result nor an exception.
    ch.answer(&add_result(None, None, None));
    ch.fail(Error::application(
        ApplicationErrorKind::InternalError,
        "Internal error processing add",
    ));
    ch.fail(Error::protocol(ProtocolErrorKind::InvalidData, "bad bytes"));

    assert_eq!(client.add(2, 3).await.unwrap(), 5);
    match client.add(-1, 0).await {
        Err(CalculatorAddError::Invalid(e)) => assert_eq!(e, invalid),
        other => panic!("expected the declared exception `invalid`, got {other:?}"),
    }
    match client.add(-2, 0).await {
        Err(CalculatorAddError::SharedError(e)) => assert_eq!(e, shared),
        other => panic!("expected the declared exception `shared_error`, got {other:?}"),
    }
    match client.add(0, 0).await {
        Err(CalculatorAddError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::MissingResult);
            assert_eq!(e.message, "add failed: unknown result");
        }
        other => panic!("expected MISSING_RESULT, got {other:?}"),
    }
    match client.add(0, 1).await {
        Err(CalculatorAddError::Application(e)) => {
            assert_eq!(e.kind, ApplicationErrorKind::InternalError);
        }
        other => panic!("expected the server's application error, got {other:?}"),
    }
    match client.add(0, 2).await {
        Err(CalculatorAddError::Rpc(e)) => {
            assert_eq!(e.protocol_kind(), Some(ProtocolErrorKind::InvalidData));
        }
        other => panic!("expected the channel's error, got {other:?}"),
    }
    let expected: Vec<Sent> = [(2, 3), (-1, 0), (-2, 0), (0, 0), (0, 1), (0, 2)]
        .into_iter()
        .map(|(a, b)| sent("add", &CalculatorAddArgs { a, b }, false))
        .collect();
    assert_eq!(client.into_inner().sent, expected);
}

#[tokio::test]
async fn void_oneway_and_inherited_methods_reach_the_channel() {
    let mut client = ScientificAsyncClient::new(Recorder::default());
    let ch = client.inner_mut();
    ch.answer(&CalculatorPingResult {});
    ch.answer(&SharedServiceGetStructResult {
        success: Some(shared_struct(7)),
        error: None,
    });
    ch.answer(&SharedServiceGetStructResult {
        success: None,
        error: Some(SharedError {
            message: "none".to_owned(),
        }),
    });
    ch.answer(&ScientificPowerResult { success: Some(8.0) });
    ch.answer(&CalculatorGroupResult {
        success: Some(grouped(&[1, 2, 3])),
    });
    ch.answer(&CalculatorLevelResult {
        success: Some(Level::HIGH),
    });

    client.ping().await.unwrap();
    client.log("fire".to_owned()).await.unwrap();
    client.legacy_log("old".to_owned()).await.unwrap();
    assert_eq!(client.get_struct(7).await.unwrap(), shared_struct(7));
    match client.get_struct(-7).await {
        Err(SharedServiceGetStructError::Error(e)) => assert_eq!(e.message, "none"),
        other => panic!("expected the declared exception `error`, got {other:?}"),
    }
    assert_eq!(client.power(2.0, 3.0).await.unwrap(), 8.0);
    let keys: HashSet<i32> = [1, 2, 3].into_iter().collect();
    assert_eq!(
        client.group(keys.clone()).await.unwrap(),
        grouped(&[1, 2, 3])
    );
    assert_eq!(client.level().await.unwrap(), Level::HIGH);

    let recorder = client.into_inner();
    assert!(recorder.replies.is_empty(), "every reply was read");
    assert_eq!(
        recorder.sent,
        [
            sent("ping", &CalculatorPingArgs {}, false),
            sent(
                "log",
                &CalculatorLogArgs {
                    line: "fire".to_owned()
                },
                true
            ),
            sent(
                "legacy_log",
                &CalculatorLegacyLogArgs {
                    line: "old".to_owned()
                },
                true
            ),
            sent("getStruct", &SharedServiceGetStructArgs { key: 7 }, false),
            sent("getStruct", &SharedServiceGetStructArgs { key: -7 }, false),
            sent(
                "power",
                &ScientificPowerArgs {
                    base: 2.0,
                    exponent: 3.0
                },
                false
            ),
            sent("group", &CalculatorGroupArgs { keys }, false),
            sent("level", &CalculatorLevelArgs {}, false),
        ]
    );
}

#[tokio::test]
async fn multiplexed_clients_prefix_the_service_name() {
    let mut recorder = Recorder::default();
    recorder.answer(&add_result(Some(3), None, None));
    let mut client = CalculatorAsyncClient::multiplexed(&mut recorder, "Calc");
    assert_eq!(client.add(1, 2).await.unwrap(), 3);
    client.log("x".to_owned()).await.unwrap();
    assert_eq!(client.inner().service(), "Calc");
    let names: Vec<(&str, bool)> = recorder
        .sent
        .iter()
        .map(|s| (s.method.as_str(), s.oneway))
        .collect();
    assert_eq!(names, [("Calc:add", false), ("Calc:log", true)]);
}
