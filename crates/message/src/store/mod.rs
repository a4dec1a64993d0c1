//! The message schema: migrations, id blocks, and the queries of sync (the writes of sends and
//! recalls live with the group-commit writer, which sends its batches as scripts rather than
//! prepared statements).

pub mod files;
pub mod ids;
pub mod migrations;
pub mod reads;
pub mod rows;

use sea_orm::{DatabaseBackend, Statement, Value};

pub fn statement(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::MySql, sql, values)
}

/// `?, ?, ?` for `count` values.
pub fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

// Statement shapes are kept to a few sizes (powers of two) so that the driver's prepared
// statement cache (100 per connection) keeps them all. Every new shape costs a prepare and,
// once the cache is full, the close of an old one; the driver sends that close without
// TCP_NODELAY and the server acknowledges it late, a 40 ms stall measured per statement.

/// `items` padded to a power-of-two length by repeating the last one (for `IN (...)` lists
/// and `OR`ed conditions, where a repeat changes nothing).
pub fn padded<T: Clone>(items: &[T]) -> Vec<T> {
    let mut padded = items.to_vec();
    if let Some(last) = items.last() {
        padded.resize(items.len().next_power_of_two(), last.clone());
    }
    padded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_come_in_powers_of_two() {
        assert_eq!(padded(&[1, 2, 3]), vec![1, 2, 3, 3]);
        assert_eq!(padded(&[7]), vec![7]);
        assert!(padded::<u8>(&[]).is_empty());
    }
}
