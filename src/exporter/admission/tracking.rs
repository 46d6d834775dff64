//! How a served connection keeps its slot's [`Activity`] current: [`TrackedService`] marks it
//! answering from the moment hyper has a request's complete headers (when it calls the
//! service) until the response body is done, and [`TrackedIo`] reports the bytes of a request
//! arriving and keeps the connection answering while the socket has not taken all of the
//! response yet.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};
use hyper::service::Service;
use hyper::{Request, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::Activity;
use crate::exporter::routes::Endpoints;

/// [`Endpoints`] as the service of one connection, reporting each request to the connection's
/// [`Activity`].
#[derive(Debug)]
pub(in crate::exporter) struct TrackedService {
    endpoints: Endpoints,
    activity: Arc<Activity>,
}

impl TrackedService {
    pub(in crate::exporter) fn new(endpoints: Endpoints, activity: Arc<Activity>) -> Self {
        TrackedService { endpoints, activity }
    }
}

impl<B> Service<Request<B>> for TrackedService {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn call(&self, req: Request<B>) -> Self::Future {
        // hyper calls the service once the request line and headers are complete.
        let answer = Answer::begin(Arc::clone(&self.activity));
        let response = self.endpoints.respond(&req);
        ready(Ok(response.map(|body| TrackedBody { body, _answer: answer })))
    }
}

/// A response body that ends its request's answer when hyper is done with it (it has taken
/// the last frame, or the connection ended first).
#[derive(Debug)]
pub(in crate::exporter) struct TrackedBody {
    body: Full<Bytes>,
    _answer: Answer,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // The exact length: hyper sends it as the `Content-Length`.
        self.body.size_hint()
    }
}

/// One request being answered, from its headers to the drop of its response body.
#[derive(Debug)]
struct Answer(Arc<Activity>);

impl Answer {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.answering();
        Answer(activity)
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.0.answered();
    }
}

/// A connection's stream (TCP, or TLS over TCP) that reports bytes arriving and whether output
/// is held up: hyper lets go of a response body once it has the last bytes, which may still
/// be waiting for a slow client to take them; until it has, the connection is still answering.
#[derive(Debug)]
pub(in crate::exporter) struct TrackedIo<I> {
    io: I,
    activity: Arc<Activity>,
}

impl<I> TrackedIo<I> {
    pub(in crate::exporter) fn new(io: I, activity: Arc<Activity>) -> Self {
        TrackedIo { io, activity }
    }

    fn track<T>(&self, poll: Poll<T>) -> Poll<T> {
        self.activity.set_write_blocked(poll.is_pending());
        poll
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for TrackedIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.received();
        }
        poll
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for TrackedIo<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.track(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.track(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.track(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Shutting down follows the last response: nothing is answered any more.
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
