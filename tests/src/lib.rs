//! # aforo-tests
//!
//! The end-to-end harness: [`harness::Redis`] starts a real `redis-server` on a free
//! loopback port in a temporary folder, [`harness::Origin`] runs the real `aforo-origin`
//! binary against it (rebuilt by cargo before its first use in a test process, so never
//! stale), [`edge::Edge`] serves the Worker in workerd (`wrangler dev`) in front of it, and
//! [`client::Api`] is a typed client of the HTTP contract;
//! [`docs`] generates resource documents as sellers write them, across the limits;
//! [`wait::eventually`] awaits a condition and [`metrics::metric`] reads `/metrics`;
//! [`explain::check`] holds an availability answer's `limited_by` against its `remaining`.

pub mod checker;
pub mod checker_waitlist;
pub mod client;
pub mod docs;
pub mod edge;
pub mod explain;
pub mod harness;
pub mod metrics;
pub mod receiver;
pub mod sentinel;
pub mod wait;
