//! The response body: a whole body (every JSON answer, the console's assets), or a stream
//! (Server-Sent Events), behind one type so that handlers and the route table keep one
//! signature.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, SizeHint};

/// A response body.
pub struct Body(Inner);

enum Inner {
    Full(Full<Bytes>),
    Stream(UnsyncBoxBody<Bytes, Infallible>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Inner::Full(b) => f.debug_tuple("Body::Full").field(&hyper::body::Body::size_hint(b).exact()).finish(),
            Inner::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl Body {
    /// A whole body.
    pub fn new(bytes: Bytes) -> Self {
        Body(Inner::Full(Full::new(bytes)))
    }

    /// A body sent chunk by chunk as `chunks` yields them, ended when it ends.
    pub fn stream<S>(chunks: S) -> Self
    where
        S: futures::Stream<Item = Bytes> + Send + 'static,
    {
        use futures::StreamExt;
        let frames = chunks.map(|b| Ok::<_, Infallible>(Frame::data(b)));
        Body(Inner::Stream(StreamBody::new(frames).boxed_unsync()))
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::new(Bytes::new())
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::new(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::new(Bytes::from_static(s.as_bytes()))
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body::new(Bytes::from(v))
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::new(b)
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.get_mut().0 {
            Inner::Full(b) => Pin::new(b).poll_frame(cx),
            Inner::Stream(s) => Pin::new(s).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Inner::Full(b) => b.is_end_stream(),
            Inner::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Inner::Full(b) => b.size_hint(),
            Inner::Stream(s) => s.size_hint(),
        }
    }
}
