//! Who is online: a user is online while at least one of their sockets is open. This
//! instance's counts live here; with Redis they are shared across instances.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Presence {
    local: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Presence {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a new socket; true when it is the user's first on this instance.
    pub fn connect(&self, user_id: i64) -> bool {
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let count = local.entry(user_id).or_insert(0);
        *count += 1;
        *count == 1
    }

    /// Forgets a socket; true when it was the user's last on this instance.
    pub fn disconnect(&self, user_id: i64) -> bool {
        let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        match local.get_mut(&user_id) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                local.remove(&user_id);
                true
            }
            None => false,
        }
    }

    pub fn is_online(&self, user_id: i64) -> bool {
        self.local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&user_id)
    }

    /// Users of this instance with open sockets.
    pub fn online_users(&self) -> Vec<i64> {
        self.local
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect()
    }
}
