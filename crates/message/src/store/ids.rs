//! Message ids, handed out in blocks reserved in MySQL: unique across instances and restarts
//! without a round trip per message. Ids of a block a crashed instance did not use are skipped,
//! which is fine: ids name messages, seqs order them.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult};
use tokio::sync::Mutex;

use super::statement;

const BLOCK: u64 = 10_000;

/// Hands out message ids.
pub struct IdBlocks {
    db: DatabaseConnection,
    /// The unused rest of the current block: `next..end`.
    range: Mutex<(u64, u64)>,
}

#[derive(FromQueryResult)]
struct NextId {
    next_id: u64,
}

impl IdBlocks {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            range: Mutex::new((0, 0)),
        }
    }

    /// `count` fresh ids.
    pub async fn take(&self, count: usize) -> Result<Vec<u64>, DbErr> {
        let mut range = self.range.lock().await;
        let mut ids = Vec::with_capacity(count);
        while ids.len() < count {
            if range.0 == range.1 {
                let start = self.reserve(BLOCK.max(count as u64)).await?;
                *range = (start, start + BLOCK.max(count as u64));
            }
            ids.push(range.0);
            range.0 += 1;
        }
        Ok(ids)
    }

    /// Reserves `size` ids in MySQL; returns the first.
    async fn reserve(&self, size: u64) -> Result<u64, DbErr> {
        let tx = chat_common::mysql::begin(&self.db).await?;
        let row = NextId::find_by_statement(statement(
            "SELECT next_id FROM id_blocks WHERE name = 'message' FOR UPDATE",
            [],
        ))
        .one(&tx)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("id_blocks row 'message'".into()))?;
        tx.execute_raw(statement(
            "UPDATE id_blocks SET next_id = next_id + ? WHERE name = 'message'",
            [size.into()],
        ))
        .await?;
        tx.commit().await?;
        Ok(row.next_id)
    }
}
