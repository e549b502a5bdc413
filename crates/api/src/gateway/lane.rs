//! Where the hub's pushes to a socket run: on the worker thread that holds the socket's
//! connection (its lane), not on the dispatcher's thread.
//!
//! Pushed from the dispatcher, every socket's writer is a wake-up across threads, and
//! wakes to write the one frame it was just given. A dispatch pass instead gathers its
//! pushes ([`Pushes`]) and hands each lane one batch at the end: the worker is woken once
//! per pass, its sockets' writers are woken on their own thread, and they run only after
//! the whole batch is queued, so each writes the pass's frames in one system call.
//! Order is kept: a pass's pushes reach each lane in order, passes reach it in the order
//! they were flushed, and one task per lane runs them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tokio::sync::{Notify, mpsc};

use super::hub::{ConnHandle, Outbound};
use crate::metrics::Metrics;

/// Batches a lane may hold before the dispatcher waits for it: the queue stays bounded
/// when a worker falls behind, and the bus's own bound (then the room logs) takes over.
const BACKLOG: usize = 256;

/// A worker thread's queue of push batches, run by one task on that thread.
pub struct Lane {
    jobs: mpsc::UnboundedSender<Job>,
    /// Batches sent and not yet run.
    backlog: AtomicUsize,
    /// Told when the backlog falls back to half of [`BACKLOG`].
    drained: Notify,
}

thread_local! {
    static CURRENT: std::cell::OnceCell<Option<Arc<Lane>>> = const { std::cell::OnceCell::new() };
}

impl Lane {
    /// The calling thread's lane, started on first use; `None` off an actix worker (an
    /// arbiter), where pushes run on the dispatching thread.
    pub fn current() -> Option<Arc<Lane>> {
        CURRENT.with(|cell| {
            cell.get_or_init(|| {
                let arbiter = actix_rt::Arbiter::try_current()?;
                let (jobs, rx) = mpsc::unbounded_channel();
                let lane = Arc::new(Lane {
                    jobs,
                    backlog: AtomicUsize::new(0),
                    drained: Notify::new(),
                });
                arbiter
                    .spawn(run(Arc::downgrade(&lane), rx))
                    .then_some(lane)
            })
            .clone()
        })
    }

    /// Waits until the lane's backlog is back to half its bound, or a second at most (a
    /// worker that stopped without ever running its lane never says so).
    pub async fn drained(&self) {
        let notified = self.drained.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.backlog.load(Ordering::Acquire) > BACKLOG / 2 {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), notified).await;
        }
    }
}

async fn run(lane: std::sync::Weak<Lane>, mut rx: mpsc::UnboundedReceiver<Job>) {
    // A dispatcher waiting for this lane must not wait for good once its worker stops
    // (the task is dropped with the worker's runtime; later batches run where they are
    // flushed).
    let _release = Release(lane.clone());
    let mut jobs = Vec::new();
    while rx.recv_many(&mut jobs, 64).await > 0 {
        for job in jobs.drain(..) {
            job.run();
            if let Some(lane) = lane.upgrade()
                && lane.backlog.fetch_sub(1, Ordering::AcqRel) - 1 == BACKLOG / 2
            {
                lane.drained.notify_waiters();
            }
        }
    }
}

/// Wakes whoever waits for the lane when its task ends.
struct Release(std::sync::Weak<Lane>);

impl Drop for Release {
    fn drop(&mut self) {
        if let Some(lane) = self.0.upgrade() {
            lane.drained.notify_waiters();
        }
    }
}

/// One item for some sockets (all of one lane).
struct Push {
    to: Arc<[ConnHandle]>,
    item: Outbound,
    droppable: bool,
}

/// A pass's pushes for one lane.
struct Job {
    pushes: Vec<Push>,
    metrics: Arc<Metrics>,
}

impl Job {
    fn run(self) {
        for push in self.pushes {
            let started = Instant::now();
            for handle in push.to.iter() {
                handle.push(&push.item, push.droppable);
            }
            if matches!(push.item, Outbound::Room { .. }) {
                self.metrics
                    .fanout_seconds
                    .observe(started.elapsed().as_secs_f64());
            }
        }
    }
}

/// Sockets of one lane (`None`: pushed on the dispatching thread).
#[derive(Clone)]
pub struct Group {
    lane: Option<Arc<Lane>>,
    conns: Arc<[ConnHandle]>,
}

impl Group {
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }
}

/// `handles` split by lane, in their order within each lane.
pub fn groups(handles: impl IntoIterator<Item = ConnHandle>) -> Vec<Group> {
    let mut split: Vec<(Option<Arc<Lane>>, Vec<ConnHandle>)> = Vec::new();
    for handle in handles {
        let at = split
            .iter()
            .position(|(lane, _)| same(lane, &handle.lane))
            .unwrap_or_else(|| {
                split.push((handle.lane.clone(), Vec::new()));
                split.len() - 1
            });
        split[at].1.push(handle);
    }
    split
        .into_iter()
        .map(|(lane, conns)| Group {
            lane,
            conns: conns.into(),
        })
        .collect()
}

fn same(a: &Option<Arc<Lane>>, b: &Option<Arc<Lane>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The pushes of one dispatch pass, by lane. Flush it before the dispatching task
/// yields: its order among passes is the order they are flushed in.
pub struct Pushes {
    lanes: Vec<(Option<Arc<Lane>>, Vec<Push>)>,
    metrics: Arc<Metrics>,
}

impl Pushes {
    pub fn new(metrics: Arc<Metrics>) -> Pushes {
        Pushes {
            lanes: Vec::new(),
            metrics,
        }
    }

    /// Queues `item` for every socket of `groups`.
    pub fn add(&mut self, groups: &[Group], item: &Outbound, droppable: bool) {
        for group in groups {
            if group.is_empty() {
                continue;
            }
            let at = self
                .lanes
                .iter()
                .position(|(lane, _)| same(lane, &group.lane))
                .unwrap_or_else(|| {
                    self.lanes.push((group.lane.clone(), Vec::new()));
                    self.lanes.len() - 1
                });
            self.lanes[at].1.push(Push {
                to: group.conns.clone(),
                item: item.clone(),
                droppable,
            });
        }
    }

    /// Hands each lane its pushes; runs here those of no lane, or of a lane whose worker
    /// has stopped. Answers a lane past its bound, which the caller should wait for
    /// ([`Lane::drained`]) before its next pass.
    pub fn flush(self) -> Option<Arc<Lane>> {
        let mut behind = None;
        for (lane, pushes) in self.lanes {
            let job = Job {
                pushes,
                metrics: self.metrics.clone(),
            };
            let Some(lane) = lane else {
                job.run();
                continue;
            };
            let backlog = lane.backlog.fetch_add(1, Ordering::AcqRel) + 1;
            match lane.jobs.send(job) {
                Ok(()) if backlog > BACKLOG => behind = Some(lane),
                Ok(()) => {}
                Err(mpsc::error::SendError(job)) => {
                    lane.backlog.fetch_sub(1, Ordering::AcqRel);
                    job.run();
                }
            }
        }
        behind
    }
}
