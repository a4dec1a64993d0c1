//! The slot table: which gateway holds which users.
//!
//! Users map to one of [`SLOT_COUNT`] slots (`slot = user_id mod 1024`, computed the same way in
//! OpenResty's Lua); each slot is owned by one gateway tag. [`table`] holds the pure logic
//! (balanced, minimal-movement rebalancing), tested without any I/O; [`watcher`] keeps a local
//! copy current so that routing a message needs no remote call.

pub mod table;
pub mod watcher;

pub use table::{Gateway, SLOT_COUNT, SlotTable, TableError, slot_of};
pub use watcher::TableWatcher;
