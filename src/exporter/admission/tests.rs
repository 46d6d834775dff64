use std::sync::atomic::AtomicBool;
use std::time::Duration;

use futures_util::FutureExt;
use hyper::body::Body as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// Whether `slot` has been evicted (its task would close its connection now).
fn evicted(slot: &mut Slot) -> bool {
    (&mut slot.evicted).now_or_never().is_some()
}

#[test]
fn admits_up_to_the_cap_and_gives_a_slot_back_on_drop() {
    let slots = Slots::new(2);
    let mut first = slots.admit().expect("a free slot");
    let mut second = slots.admit().expect("a free slot");
    assert_eq!(slots.held(), 2);
    assert!(!evicted(&mut first) && !evicted(&mut second));
    drop(first);
    assert_eq!(slots.held(), 1);
    let _third = slots.admit().expect("the slot given back");
    assert!(!evicted(&mut second), "a free slot evicts no one");
}

#[test]
fn at_the_cap_the_connection_waiting_longest_is_evicted() {
    let slots = Slots::new(2);
    let mut oldest = slots.admit().unwrap();
    let mut newer = slots.admit().unwrap();
    let _newest = slots.admit().expect("admitted by evicting one");
    assert!(evicted(&mut oldest));
    assert!(!evicted(&mut newer));
    assert_eq!(slots.held(), 2);
    // The evicted slot, dropped when its task ends, gives back nothing it no longer holds.
    drop(oldest);
    assert_eq!(slots.held(), 2);
}

#[test]
fn an_answering_connection_is_never_evicted_and_past_that_newcomers_are_refused() {
    let slots = Slots::new(2);
    let mut answering = slots.admit().unwrap();
    answering.activity().answering();
    let mut waiting = slots.admit().unwrap();
    let mut newcomer = slots.admit().expect("admitted by evicting the waiting one");
    assert!(evicted(&mut waiting));
    assert!(!evicted(&mut answering));
    newcomer.activity().answering();
    assert!(slots.admit().is_none(), "every connection answering: refused");
    assert_eq!(slots.held(), 2);
    assert!(!evicted(&mut answering) && !evicted(&mut newcomer));
}

#[test]
fn waiting_is_counted_from_the_end_of_the_last_answer() {
    let slots = Slots::new(2);
    // Admitted first, but answering while the second arrives: once answered, it has been
    // waiting for its next request for less time than the second has.
    let mut kept_alive = slots.admit().unwrap();
    kept_alive.activity().answering();
    let mut idle = slots.admit().unwrap();
    std::thread::sleep(Duration::from_millis(2));
    kept_alive.activity().answered();
    let _newcomer = slots.admit().unwrap();
    assert!(evicted(&mut idle));
    assert!(!evicted(&mut kept_alive));
}

#[test]
fn a_response_the_socket_has_not_taken_yet_keeps_the_connection_answering() {
    let slots = Slots::new(1);
    let mut writing = slots.admit().unwrap();
    writing.activity().set_write_blocked(true);
    assert!(slots.admit().is_none());
    writing.activity().set_write_blocked(false);
    let _newcomer = slots.admit().expect("evicts the connection done writing");
    assert!(evicted(&mut writing));
}

/// Sets its flag when dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn hold_runs_the_connection_until_evicted_then_drops_it() {
    let slots = Slots::new(1);
    let slot = slots.admit().unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag(Arc::clone(&dropped));
    let held = tokio::spawn(slot.hold(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
    }));
    tokio::task::yield_now().await;
    assert!(!dropped.load(Ordering::SeqCst), "still serving");
    let _newcomer = slots.admit().expect("evicts the held one");
    tokio::time::timeout(Duration::from_secs(10), held)
        .await
        .expect("an evicted connection ends")
        .unwrap();
    assert!(dropped.load(Ordering::SeqCst), "the connection was dropped, so closed");
    assert_eq!(slots.held(), 1);
}

#[tokio::test]
async fn hold_gives_the_slot_back_when_the_connection_ends() {
    let slots = Slots::new(1);
    let slot = slots.admit().unwrap();
    slot.hold(async {}).await;
    assert_eq!(slots.held(), 0);
}

#[tokio::test]
async fn tracked_io_reports_output_the_peer_has_not_taken() {
    let slots = Slots::new(1);
    let mut slot = slots.admit().unwrap();
    let (ours, mut peer) = tokio::io::duplex(8);
    let mut io = TrackedIo::new(ours, slot.activity());
    // The pipe takes 8 bytes; the rest waits for the peer to read.
    let written = io.write(&[1; 16]).now_or_never().expect("ready").unwrap();
    assert_eq!(written, 8);
    assert!(io.write(&[1; 8]).now_or_never().is_none(), "the pipe is full");
    assert!(slots.admit().is_none(), "a response going out is not evicted");
    let mut taken = [0; 8];
    peer.read_exact(&mut taken).await.unwrap();
    io.write_all(&[1; 8]).await.unwrap();
    io.flush().await.unwrap();
    let _newcomer = slots.admit().expect("the response is out: evictable again");
    assert!(evicted(&mut slot));
}

#[test]
fn tracked_service_answers_from_the_headers_to_the_end_of_the_body() {
    let slots = Slots::new(1);
    let mut slot = slots.admit().unwrap();
    let service = TrackedService::new(crate::exporter::Endpoints::default(), slot.activity());
    let request = hyper::Request::get("/health").body(()).unwrap();
    let response = hyper::service::Service::call(&service, request).into_inner().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body().size_hint().exact(), Some(2), "the Content-Length is kept");
    assert!(slots.admit().is_none(), "answering: not evicted");
    drop(response);
    let _newcomer = slots.admit().expect("answered: evictable again");
    assert!(evicted(&mut slot));
}
