//! Operations that act on the application: the drift check and the background loops (alert
//! evaluation, the shared read-only switch, breaker probes, the periodic drift check).

pub mod drift;
pub mod loops;
pub mod rollup;
