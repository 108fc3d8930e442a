//! Holds, the domain: create one (one item or a cart, a saga across resources), find one,
//! consume it, release it. Nothing here knows HTTP: the handlers in `routes::holds` parse,
//! authorise, call these and serialise what they answer.
//!
//! The hold id is derived from the caller and its `Idempotency-Key`, so a retry lands on the
//! same records: each resource's record of the hold is that resource's idempotency entry.
//! Items of one resource are taken in one atomic store call. A cart across resources is a
//! saga: the home resource (the first item's) is taken first as `pending`, then each other
//! resource, then the home turns `held`. A refused step voids the steps taken (units back,
//! the key as if unused); a retry with the same key finds the steps already taken and goes
//! on, so it converges.
//!
//! The key belongs to the caller across resources: before any hold call, the request claims
//! it (`af:{k:…}`, a key of its own) with its payload hash; a request with another payload
//! finds the claim and is refused (422), one with the same payload goes on and replays.

pub mod after;
pub mod change;
pub mod change_part;
pub mod claim;
pub mod create;
pub mod floor;
pub mod guests;
pub mod plan;
pub mod seatings;
pub mod settle;
pub mod view;
pub mod walkin;

pub use after::{cancel, extend, no_show, seat};
pub use change::change;
pub use create::{create, Created};
pub use floor::{finish, move_to};
pub use settle::{consume, find, find_part, release, Found};
pub use view::{hold_view, only_resource};
pub use walkin::{walk_in, WalkIn};
