//! Lists of weak entries (the bound sets a collection flushes, the series that have
//! exemplars): pruned of dead entries as they grow, so a list is as long as what is alive.

use std::sync::{Arc, Weak};

/// Pushes `item` on `list`, first dropping the dead entries if the list is full (so pruning
/// costs O(1) per push, amortized).
pub(super) fn push_pruned<T>(list: &mut Vec<Weak<T>>, item: &Arc<T>) {
    if list.len() == list.capacity() {
        list.retain(|entry| entry.strong_count() > 0);
    }
    list.push(Arc::downgrade(item));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_entries_are_pruned_before_the_list_grows() {
        let mut list = Vec::with_capacity(4);
        let kept: Vec<Arc<u32>> = (0..2).map(Arc::new).collect();
        for item in &kept {
            push_pruned(&mut list, item);
        }
        for i in 0..2 {
            push_pruned(&mut list, &Arc::new(10 + i)); // dropped at once
        }
        assert_eq!((list.len(), list.capacity()), (4, 4));
        let third = Arc::new(2);
        push_pruned(&mut list, &third);
        assert_eq!(list.len(), 3, "the two dead entries went before the push");
        assert_eq!(list.capacity(), 4, "and the list did not grow");
        assert!(list.iter().all(|entry| entry.strong_count() == 1));
    }
}
