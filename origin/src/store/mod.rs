//! All Redis access, one room per concern: the connection and the library ([`client`]), the
//! typed replies ([`reply`]) and records ([`records`]), a hold's steps ([`holds`]), documents
//! and counters ([`resources`]), the read-only switch ([`control`]), the sweeper, the drift
//! check, the audit trail. Every key name is in [`keys`], every atomic step in the Lua library of `lua/`.

pub mod audit;
pub mod audit_log;
pub mod batch;
pub mod breaker;
pub mod change;
pub mod check;
pub mod client;
pub mod compactor;
pub mod control;
pub mod durability;
pub mod error;
pub mod events;
pub mod floor;
pub mod group;
pub mod guests;
pub mod history;
pub mod holds;
pub mod ids;
pub mod keys;
pub mod memory;
pub mod promise;
pub mod quota;
pub mod records;
pub mod reply;
pub mod resources;
pub mod scan;
pub mod slo;
pub mod sweeper;
pub mod waitlist;
pub mod webhook_enable;
pub mod webhooks;

pub use audit::{Actor, Audit, AuditEvent};
pub use change::{ChangeArgs, ChangeReply};
pub use client::{function_name, Store, StoreConfig, LIBRARY, LIBRARY_NAME, LIBRARY_VERSION};
pub use durability::{Durability, Promise};
pub use error::StoreError;
pub use floor::{decode_takes, Swap, SwapKind};
pub use group::Coalescer;
pub use guests::Erasure;
pub use history::{BookingRow, BookingsPage, Compacted};
pub use holds::{encode_choices, encode_starts, encode_takes, BuyerShare, Choice, HoldArgs, Home, Retake};
pub use ids::HoldIds;
pub use keys::{
    audit_shard, buyer_held, buyer_on, claim, hold_id, home_of, legacy_hold_id, owned_by, ResourceKeys, AUDIT, DUE, ENFORCEMENT, MODE,
    RESOURCES,
};
pub use records::{HoldRecord, HoldStatus, Meta, Mode};
pub use reply::{ArchiveReply, ExtendReply, HoldReply, PartReply, PutReply, ReseatReply, StockReply};
pub use resources::{DocWrite, IdempotencyKey, StockChange, READ_FIRST, READ_PART};
pub use waitlist::{JoinArgs, JoinReply, WaitCandidate, WaitEntry, WaitState};
