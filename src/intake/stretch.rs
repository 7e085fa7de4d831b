//! A fixed pool of token-stretching workers.
//!
//! Argon2id is slow and memory-hard on purpose. Each worker is a thread of its own that keeps
//! one block of Argon2id working memory (19 MiB by default), allocated on first use and wiped
//! after every run, so the server's memory for stretching is bounded by `workers × memory_kib`
//! however many status checks arrive. Requests beyond the workers wait in a bounded queue; the
//! queue's own backpressure then holds further callers. A job whose caller went away still
//! finishes on its worker: the work done is bounded by the queue, not by the callers.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::IntakeError;
use crate::token::{StretchMemory, StretchParams, Stretched, Token, TokenError};

type Job = (Token, oneshot::Sender<Result<Stretched, TokenError>>);

pub struct StretchPool {
    jobs: mpsc::Sender<Job>,
}

impl StretchPool {
    /// Starts `workers` threads with a queue of `workers × 32` waiting jobs.
    pub fn new(params: StretchParams, workers: usize) -> StretchPool {
        let (jobs, queue) = mpsc::channel::<Job>(workers * 32);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers {
            let (queue, params) = (queue.clone(), params.clone());
            std::thread::Builder::new()
                .name(format!("stretch-{n}"))
                .spawn(move || work(&queue, &params))
                .expect("starting a stretching thread");
        }
        StretchPool { jobs }
    }

    pub async fn stretch(&self, token: &Token) -> Result<Stretched, IntakeError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send((token.clone(), reply))
            .await
            .map_err(|_| IntakeError::ShuttingDown)?;
        answer
            .await
            .map_err(|_| IntakeError::ShuttingDown)?
            .map_err(IntakeError::from)
    }
}

fn work(queue: &Mutex<mpsc::Receiver<Job>>, params: &StretchParams) {
    let mut memory: Option<StretchMemory> = None;
    loop {
        // The lock is held only while waiting for the next job, never while stretching.
        let job = match queue.lock() {
            Ok(mut queue) => queue.blocking_recv(),
            Err(_) => return,
        };
        let Some((token, reply)) = job else { return };
        let memory = memory.get_or_insert_with(|| StretchMemory::new(params));
        let _ = reply.send(token.stretch_in(params, memory));
    }
}
