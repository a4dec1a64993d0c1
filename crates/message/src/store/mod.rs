//! The message schema: migrations, id blocks, and the queries of sync (the writes of sends and
//! recalls live with the group-commit writer).

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

/// Splits `count` rows into power-of-two chunks of at most `max` (a power of two), largest
/// first, for multi-row inserts (where rows cannot be repeated).
pub fn chunk_sizes(mut count: usize, max: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    while count > 0 {
        let size = if count >= max {
            max
        } else {
            1 << count.ilog2()
        };
        sizes.push(size);
        count -= size;
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_come_in_powers_of_two() {
        assert_eq!(padded(&[1, 2, 3]), vec![1, 2, 3, 3]);
        assert_eq!(padded(&[7]), vec![7]);
        assert!(padded::<u8>(&[]).is_empty());
        assert_eq!(chunk_sizes(45, 256), vec![32, 8, 4, 1]);
        assert_eq!(chunk_sizes(600, 256), vec![256, 256, 64, 16, 8]);
        assert!(chunk_sizes(0, 256).is_empty());
    }
}
