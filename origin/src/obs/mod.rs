//! What the origin observes itself with, below the application state: SLO windows, alert
//! rules and the buffer of recent warnings and errors.

pub mod alerts;
pub mod outbound;
pub mod recent;
pub mod rollup;
pub mod signals;
pub mod slo;
