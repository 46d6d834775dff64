use std::sync::atomic::AtomicBool;
use std::time::Duration;

use futures_util::FutureExt;
use hyper::body::Body as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// No grace for connections that have sent nothing (admission itself never looks at it).
const NO_GRACE: Duration = Duration::ZERO;

/// A grace no test outlasts.
const LONG_GRACE: Duration = Duration::from_secs(3600);

/// Whether `slot` has been evicted (its task would close its connection now).
fn evicted(slot: &mut Slot) -> bool {
    (&mut slot.evicted).now_or_never().is_some()
}

#[test]
fn admits_up_to_the_cap_and_gives_a_slot_back_on_drop() {
    let slots = Slots::new(2, NO_GRACE);
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
    let slots = Slots::new(2, NO_GRACE);
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
    let slots = Slots::new(2, NO_GRACE);
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
    let slots = Slots::new(2, NO_GRACE);
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
fn a_connection_stalled_mid_request_goes_before_one_that_has_sent_nothing() {
    let slots = Slots::new(2, NO_GRACE);
    // Just connected (a scraper's request may be on its way), or idle on a kept-alive
    // connection: sent nothing yet.
    let mut sent_nothing = slots.admit().unwrap();
    let mut stalled = slots.admit().unwrap();
    stalled.activity().received();
    let mut newcomer = slots.admit().unwrap();
    assert!(evicted(&mut stalled), "the one stuck in the middle of a request goes first");
    assert!(!evicted(&mut sent_nothing));
    // Answered, a connection waits for its next request having sent nothing of it.
    newcomer.activity().received();
    newcomer.activity().answering();
    newcomer.activity().answered();
    let _next = slots.admit().unwrap();
    assert!(evicted(&mut sent_nothing), "the two have sent nothing: the older goes");
    assert!(!evicted(&mut newcomer));
}

#[test]
fn a_response_the_socket_has_not_taken_yet_keeps_the_connection_answering() {
    let slots = Slots::new(1, NO_GRACE);
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
    let slots = Slots::new(1, NO_GRACE);
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
    let slots = Slots::new(1, NO_GRACE);
    let slot = slots.admit().unwrap();
    slot.hold(async {}).await;
    assert_eq!(slots.held(), 0);
}

#[tokio::test]
async fn tracked_io_reports_output_the_peer_has_not_taken() {
    let slots = Slots::new(1, NO_GRACE);
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

#[tokio::test]
async fn tracked_io_reports_bytes_of_a_request_arriving() {
    let slots = Slots::new(1, NO_GRACE);
    let slot = slots.admit().unwrap();
    let (ours, mut peer) = tokio::io::duplex(64);
    let mut io = TrackedIo::new(ours, slot.activity());
    assert!(slot.activity.staleness().unwrap().sent_nothing);
    peer.write_all(b"GET /met").await.unwrap();
    let mut head = [0; 8];
    io.read_exact(&mut head).await.unwrap();
    assert!(!slot.activity.staleness().unwrap().sent_nothing);
}

#[test]
fn tracked_service_answers_from_the_headers_to_the_end_of_the_body() {
    let slots = Slots::new(1, NO_GRACE);
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

#[test]
fn room_to_accept_unless_only_silent_connections_within_their_grace_could_make_it() {
    let slots = Slots::new(2, LONG_GRACE);
    assert_eq!(slots.room(), None, "a free slot");
    let first = slots.admit().unwrap();
    let second = slots.admit().unwrap();
    let grace_ends = slots.room().expect("two silent connections within their grace");
    let first_waiting_since = first.activity.staleness().unwrap().waiting_since;
    assert_eq!(
        grace_ends,
        slots.shared.epoch + Duration::from_nanos(first_waiting_since) + LONG_GRACE
    );
    // One stalled partway through its request can be evicted at once.
    second.activity().received();
    assert_eq!(slots.room(), None);
    // Both answering: accept, to refuse.
    second.activity().answering();
    first.activity().answering();
    assert_eq!(slots.room(), None);
    assert!(slots.admit().is_none());
}

#[test]
fn a_silent_connection_past_its_grace_makes_room() {
    let slots = Slots::new(1, NO_GRACE);
    let mut silent = slots.admit().unwrap();
    assert_eq!(slots.room(), None);
    let _newcomer = slots.admit().unwrap();
    assert!(evicted(&mut silent));
}

#[test]
fn room_made_is_told_of_a_slot_given_back_and_of_a_silent_connection_starting() {
    let slots = Slots::new(2, LONG_GRACE);
    let first = slots.admit().unwrap();
    let _second = slots.admit().unwrap();
    assert!(slots.room_made().now_or_never().is_none(), "nothing happened yet");
    first.activity().received();
    assert!(slots.room_made().now_or_never().is_some(), "a request started");
    first.activity().received();
    assert!(slots.room_made().now_or_never().is_none(), "told once per request");
    drop(first);
    assert!(slots.room_made().now_or_never().is_some(), "a slot given back");
}

#[test]
fn under_attack_the_server_waits_for_no_grace() {
    let slots = Slots::new(1, LONG_GRACE);
    let mut silent = slots.admit().unwrap();
    assert!(slots.room().is_some(), "a silent connection within its grace");
    // Admitted anyway (as when a silent connection was seen stalling): an eviction.
    let _newcomer = slots.admit().unwrap();
    assert!(evicted(&mut silent));
    assert_eq!(slots.room(), None, "evicting: under attack, so no grace is waited for");
}
