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
