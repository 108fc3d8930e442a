//! The HTTP side: the route table, dispatch, and one handler per route, grouped by resource.

pub mod audit;
pub mod bookings;
pub mod console;
pub mod ctx;
pub mod dispatch;
pub mod events;
pub mod floor;
pub mod guests;
pub mod health;
pub mod holds;
pub mod monitoring;
pub mod reads;
pub mod resources;
pub mod stock;
pub mod table;
pub mod tables;
pub mod validate;
pub mod waitlist;
pub mod webhooks;

pub use ctx::{route_label, single_authorization, Ctx};
pub use dispatch::{dispatch, Matched, Router};
pub use table::{Access, IdKind, Row, ROUTES};
