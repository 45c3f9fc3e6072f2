//! [`Watch`]: what an async connection tells the server's
//! [`ServerObserver`] of itself and its calls, as the blocking server's
//! connections do.

use std::sync::Arc;
use std::time::Instant;

use crate::processor::ProtocolKind;
use crate::protocol::{MessageHeader, MessageType};
use crate::server::ServerObserver;
use crate::server::listener::Peer;
use crate::server::observer::{
    CallInfo, CallOutcome, CallStart, ConnectionInfo, notify, reply_outcome,
};
use crate::transport::Framing;
use crate::transport::framed::FRAME_HEADER_LEN;

/// One connection's link to the observer: reported opened when made,
/// closed when dropped (also when its task is aborted), after the call in
/// progress then, if any, as [`CallOutcome::Undelivered`].
pub(crate) struct Watch {
    observer: Arc<dyn ServerObserver>,
    info: ConnectionInfo,
    /// The name of the call in progress (a buffer reused from call to
    /// call).
    name: String,
    call: Option<Current>,
}

/// The call in progress.
struct Current {
    seqid: i32,
    oneway: bool,
    started: Instant,
    /// What its reply says, once made.
    outcome: CallOutcome,
}

/// The largest name buffer a watch keeps from one call to the next.
const NAME_KEEP: usize = 256;

impl Watch {
    /// Reports connection `id` from `peer` opened.
    pub(crate) fn open(observer: Arc<dyn ServerObserver>, id: u64, peer: Peer) -> Watch {
        let info = ConnectionInfo::new(id, peer);
        notify("connection_opened", || observer.connection_opened(&info));
        Watch {
            observer,
            info,
            name: String::new(),
            call: None,
        }
    }

    /// A call's header was read: the observer is told, and its clock
    /// starts.
    pub(crate) fn call_started(&mut self, header: &MessageHeader) {
        CallStart::notify(&*self.observer, self.info.id, header);
        self.name.clone_from(&header.name);
        self.call = Some(Current {
            seqid: header.seqid,
            oneway: header.kind == MessageType::Oneway,
            started: Instant::now(),
            outcome: CallOutcome::Undelivered,
        });
    }

    /// The processor made the reply `bytes` (empty: none), in `protocol`
    /// and `framing`.
    pub(crate) fn replied(&mut self, protocol: ProtocolKind, framing: Framing, bytes: &[u8]) {
        let Some(call) = &mut self.call else {
            return;
        };
        let message = match framing {
            Framing::Framed => bytes.get(FRAME_HEADER_LEN..).unwrap_or_default(),
            Framing::Buffered => bytes,
        };
        call.outcome = match message {
            [] if call.oneway => CallOutcome::Oneway,
            [] => CallOutcome::Undelivered,
            message => reply_outcome(protocol, message),
        };
    }

    /// The reply was written (or there was none to write): reports the
    /// call.
    pub(crate) fn call_finished(&mut self) {
        if let Some(call) = self.call.take() {
            self.report(&call, call.outcome);
        }
        if self.name.capacity() > NAME_KEEP {
            self.name = String::new();
        }
    }

    fn report(&self, call: &Current, outcome: CallOutcome) {
        let info = CallInfo::new(
            self.info.id,
            &self.name,
            call.seqid,
            call.oneway,
            call.started.elapsed(),
            outcome,
        );
        notify("call_finished", || self.observer.call_finished(&info));
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            self.report(&call, CallOutcome::Undelivered);
        }
        let info = self.info;
        notify("connection_closed", || {
            self.observer.connection_closed(&info)
        });
    }
}
