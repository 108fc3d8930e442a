//! Enforcement: whether a resource's capacity limits refuse holds (`enforce`) or are only
//! checked and recorded (`shadow`). A document may name its own; the others follow the
//! deployment's default, a switch in Redis every origin re-reads with the read-only mode.

use std::sync::atomic::Ordering;

use aforo_core::{Enforcement, Resource};

use crate::app::App;
use crate::error::ApiError;

impl App {
    /// The enforcement a hold on `res` is taken under.
    pub fn enforcement_of(&self, res: &Resource) -> Enforcement {
        res.doc.enforcement.unwrap_or(self.default_enforcement())
    }

    /// The deployment's default, as this origin last read it.
    pub fn default_enforcement(&self) -> Enforcement {
        if self.shadow_default.load(Ordering::Relaxed) {
            Enforcement::Shadow
        } else {
            Enforcement::Enforce
        }
    }

    /// Re-reads the default from Redis (`enforce` until someone sets it).
    pub async fn refresh_enforcement(&self) -> Result<Enforcement, ApiError> {
        let shadow = self.store.shadow_default().await?.unwrap_or(false);
        self.note_default(shadow);
        Ok(self.default_enforcement())
    }

    /// Sets the default for every origin on this Redis.
    pub async fn set_default_enforcement(&self, e: Enforcement) -> Result<(), ApiError> {
        let shadow = e == Enforcement::Shadow;
        self.store.set_shadow_default(shadow).await?;
        self.note_default(shadow);
        Ok(())
    }

    fn note_default(&self, shadow: bool) {
        if self.shadow_default.swap(shadow, Ordering::Relaxed) != shadow {
            tracing::warn!(default = if shadow { "shadow" } else { "enforce" }, "default enforcement changed");
        }
    }
}
