//! The origin end to end, in one test binary: the real `aforo-origin` (rebuilt by the harness
//! before its first use) against real `redis-server`s on free loopback ports, a Redis and an
//! origin of its own for every test. One module per feature:
//!
//! - [`holds`]: contention, idempotency keys, hybrids, slots, expiry, state transitions
//! - [`bookings`]: bookings kept past their date, listed, and compaction of old dates
//! - [`carts`]: several items in one hold, all or nothing
//! - [`resources`]: documents, versions, stock, pause and resume
//! - [`lifecycle`]: listings, `If-Match`, idempotent stock syncs, archive
//! - [`adoption`]: shadow enforcement; limits lowered under what is committed
//! - [`tables`]: tables assigned inside the atomic hold
//! - [`seating`]: numbered tables and areas under a crowd of parties
//! - [`floor`]: the host's moves, finishes and walk-ins on physical tables; the host view
//! - [`aftersale`]: a booking after its sale: extend, cancel under the policy, seat, no-show,
//!   finish; cancels under a crowd of new holds
//! - [`change`]: a booking moved to another time or party in one step, under a crowd too
//! - [`change_saga`]: a change across resources, and an origin killed in the middle of many
//! - [`guests`]: guest details: who sees them, search, erasure, never published
//! - [`degraded`]: validate-stock degraded (Redis frozen, killed) while holds refuse
//! - [`audit`]: the audit trail read across its shards
//! - [`auth`]: tokens (401), roles and ownership (403)
//! - [`jwks`]: the identity provider's RS256, ES256 and EdDSA tokens against its key set:
//!   claims, rotation, a flood of unknown keys, algorithm confusion
//! - [`abuse`]: a buyer's share, `qty.max` over a cart, host actions, retake grace, opaque ids
//! - [`errors`]: every error status of API.md, in words
//! - [`hostile`]: hostile and careless input at the door
//! - [`reads`]: heavy reads queue and do not starve other requests
//! - [`ops`]: metrics, audit, breaker, read-only mode, drift check, SLOs, rate limits, SIGTERM
//! - [`shares`]: refused requests audited in aggregate, the anonymous limit by client address,
//!   event streams and heavy reads shared per caller, SIGTERM while Redis does not answer
//! - [`events`]: availability changes on the resource's stream
//! - [`explain`]: `limited_by` and `max_party` after real holds; a document's `warnings`
//! - [`live`]: the stream as Server-Sent Events, with `Last-Event-ID` resume
//! - [`console`]: the web console's page and assets, with their Content-Security-Policy
//! - [`faults`]: origin and Redis killed, frozen, full, under a checkout mix, then the checker
//! - [`group`]: the group commit under crowds, carts and a killed origin, then the checker
//! - [`openapi`]: every answer as `origin/openapi.yaml` says
//! - [`cluster`]: the same on a 3-node Redis Cluster
//! - [`tls`]: the key set and webhooks over https, trusted through `AFORO_TLS_CA_FILE`
//! - [`footprint`]: seller quotas, archived resources' size, memory as a signal, shadow
//!   overflows apart from oversells, booking cursors on dotted ids
//! - [`webhook_life`]: no event missed right after an endpoint's creation, a disabled
//!   endpoint enabled again, a dead endpoint's backlog shed near Redis's memory ceiling
//! - [`webhook_load`]: webhook lag at 100 (and 1,000) holds a second, with a dead endpoint;
//!   stream entries a dead origin left pending, claimed after the lease
//! - [`webhooks`]: signed outbound webhooks against a real receiver (verified by the
//!   `standardwebhooks` npm library), retries, order, a killed origin, SSRF refusals, replay
//!
//! `cargo test -p aforo-tests --test origin` runs them all; `-- holds::` runs one module.

#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod abuse;
mod adoption;
mod aftersale;
mod audit;
mod auth;
mod bookings;
mod carts;
mod change;
mod change_saga;
mod cluster;
mod console;
mod degraded;
mod errors;
mod events;
mod explain;
mod faults;
mod floor;
mod footprint;
mod group;
mod guests;
mod holds;
mod hostile;
mod jwks;
mod lifecycle;
mod live;
mod openapi;
mod ops;
mod reads;
mod resources;
mod seating;
mod shares;
mod tables;
mod tls;
mod waitlist;
mod waitlist_prop;
mod webhook_life;
mod webhook_load;
mod webhooks;
