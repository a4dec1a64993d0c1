//! The resync's REST tasks: starting pulls as they fall due, applying what the survey and the
//! pulls found, and the failures a session cannot go on with.

use std::time::Instant;

use tokio::task::JoinError;

use super::{Driver, End, MAX_PULLS, Session};
use crate::error::RestError;
use crate::events::{Counters, Event, Item};
use crate::resync::{self, TaskDone};
use crate::seq::Page;

impl Driver {
    pub(super) fn on_task(
        &mut self,
        done: Result<TaskDone, JoinError>,
        session: &mut Session,
    ) -> Option<End> {
        let now = Instant::now();
        match done {
            // Tasks are only cancelled with their session, and do not panic.
            Err(_) => None,
            Ok(TaskDone::Survey(Ok(survey))) => {
                let outcome =
                    resync::apply_survey(&mut self.tracker, &mut self.unreadable, survey, now);
                session.surveyed = true;
                self.deliver_recovered(outcome, session);
                None
            }
            Ok(TaskDone::Survey(Err(error))) => self.on_rest_failure(&error, "resync failed"),
            Ok(TaskDone::Pull {
                conversation_id,
                after,
                result,
            }) => {
                session.pulls_in_flight = session.pulls_in_flight.saturating_sub(1);
                match result {
                    Ok(page) => {
                        Counters::add(&self.counters.pulls, 1);
                        let page = Page {
                            after,
                            items: page.messages.into_iter().map(Item::from_message).collect(),
                            has_more: page.has_more,
                            max_seq: page.max_seq,
                        };
                        let outcome = self.tracker.apply_page(&conversation_id, page, now);
                        self.deliver_recovered(outcome, session);
                        None
                    }
                    Err(error) => self.on_pull_failure(&conversation_id, &error, now),
                }
            }
        }
    }

    pub(super) fn on_pull_failure(
        &mut self,
        conversation_id: &str,
        error: &RestError,
        now: Instant,
    ) -> Option<End> {
        match error.api().map(|api| api.status) {
            Some(401) => self.on_rest_failure(error, "pull failed"),
            Some(403 | 404) => {
                self.tracker.forget(conversation_id);
                self.unreadable.insert(conversation_id.to_owned());
                None
            }
            _ => {
                self.tracker
                    .pull_failed(conversation_id, now + self.config.backoff.max);
                None
            }
        }
    }

    /// A REST failure the session cannot go on without.
    pub(super) fn on_rest_failure(&mut self, error: &RestError, what: &str) -> Option<End> {
        match error.api() {
            Some(api) if api.status == 401 => {
                self.emit(Event::Unauthorized {
                    code: api.code.clone(),
                    message: api.message.clone(),
                });
                Some(End::Stop)
            }
            _ => Some(End::reconnect(format!("{what}: {error}"))),
        }
    }

    pub(super) fn start_pulls(&mut self, session: &mut Session) {
        let room = MAX_PULLS.saturating_sub(session.pulls_in_flight);
        if room == 0 {
            return;
        }
        for (conversation_id, after) in self.tracker.due_pulls(Instant::now(), room) {
            session.pulls_in_flight += 1;
            session.tasks.spawn(resync::pull(
                self.rest.clone(),
                conversation_id,
                after,
                self.config.backoff,
            ));
        }
    }

    /// Reports the resync once the survey is applied and no pull is outstanding; from then on
    /// the connection counts as healthy and the backoff starts over.
    pub(super) fn check_resynced(&mut self, session: &mut Session) {
        if session.surveyed && !session.resynced && self.tracker.is_settled() {
            session.resynced = true;
            self.failures = 0;
            self.emit(Event::Resynced {
                messages: session.recovered,
            });
        }
    }
}
