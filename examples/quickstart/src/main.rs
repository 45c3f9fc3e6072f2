//! thriftc from build.rs, end to end: `build.rs` generates Rust from
//! `idl/greeter.thrift` (which includes `idl/common/people.thrift`), this
//! program serves the `Greeter` service on a loopback port, calls it with the
//! generated client, prints the exchange and stops the server.
//!
//! Run it with `cargo run -p quickstart`.

// The one line that brings in everything generated: one module per IDL file
// (`people`, `greeter`), declared by the include file thriftc wrote. A small
// binary uses only part of the generated API, hence the `allow`.
#[allow(dead_code)]
mod idl {
    include!(concat!(env!("OUT_DIR"), "/_thrift.rs"));
}

use idl::greeter::{
    GreeterClient, GreeterGreetError, GreeterGreetedError, GreeterHandler, GreeterProcessor,
};
use idl::people::{Mood, Person, Unwelcome};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use thriftc_runtime::{Connector, Server};

/// The service: shared by every connection thread, so state is atomic.
#[derive(Default)]
struct Greeter {
    greeted: AtomicI64,
}

impl GreeterHandler for Greeter {
    fn greet(&self, who: Person) -> Result<String, GreeterGreetError> {
        if who.mood == Mood::GRUMPY {
            // A declared exception: the client gets it back as the same variant.
            return Err(Unwelcome {
                reason: format!("{} looks grumpy", who.name),
            }
            .into());
        }
        self.greeted.fetch_add(1, Ordering::Relaxed);
        Ok(match who.age {
            Some(age) => format!("Hello, {} ({age})!", who.name),
            None => format!("Hello, {}!", who.name),
        })
    }

    fn greeted(&self) -> Result<i64, GreeterGreetedError> {
        Ok(self.greeted.load(Ordering::Relaxed))
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Port 0: the system picks a free port.
    let server = Server::builder(GreeterProcessor::new(Greeter::default()))
        .bind("127.0.0.1:0")?
        .spawn()?;
    println!("server listening on {}", server.local_addr());

    let connection = Connector::new(server.local_addr())?
        .read_timeout(Duration::from_secs(5))
        .connect()?;
    let mut client = GreeterClient::new(connection);

    // `Person::default()` applies the IDL's defaults (`mood = CHEERFUL`).
    let ada = Person {
        name: "Ada".to_owned(),
        age: Some(36),
        ..Person::default()
    };
    println!("greet(Ada) -> {}", client.greet(ada)?);

    let grace = Person {
        name: "Grace".to_owned(),
        ..Person::default()
    };
    println!("greet(Grace) -> {}", client.greet(grace)?);

    let oscar = Person {
        name: "Oscar".to_owned(),
        mood: Mood::GRUMPY,
        ..Person::default()
    };
    match client.greet(oscar) {
        Err(GreeterGreetError::Unwelcome(e)) => println!("greet(Oscar) -> Unwelcome: {}", e.reason),
        other => return Err(format!("expected Unwelcome, got {other:?}").into()),
    }

    println!("greeted() -> {}", client.greeted()?);

    // Close the connection, then stop: refuses new connections and drains.
    drop(client);
    server.stop();
    println!("server stopped");
    Ok(())
}
