//! Functions that are not `async fn` but return an async block: hand-written
//! `fn f() -> impl Future { async move { .. } }`, and what `#[async_trait]` makes of an
//! `async fn` (`fn f<'async_trait>(..) -> Pin<Box<dyn Future<Output = R> + Send + 'async_trait>>`
//! with body `Box::pin(async move { .. })`) when it expands before `#[instrumented]`.
//!
//! Instrumenting such a function's body would only measure the creation of the future, so
//! the expansion instruments inside the async block instead: the measurement then starts at
//! the first poll (a future never polled is never counted) and a future dropped mid-flight is
//! `cancelled`. This follows tracing-attributes (`AsyncInfo::from_fn`); the pre-0.1.44
//! async-trait shape (an inner `async fn` called from `Box::pin`) is not recognised.

use syn::{Block, Expr, ExprAsync, ExprCall, Signature, Stmt};

/// Where the async block is in the function's tail expression.
#[derive(Clone, Copy)]
enum Location {
    /// The tail expression is the async block.
    Tail,
    /// The tail expression is `Box::pin(<async block>)` (any path ending in `Box::pin`).
    BoxPinned,
}

fn locate(sig: &Signature, block: &Block) -> Option<Location> {
    if sig.asyncness.is_some() {
        return None;
    }
    match block.stmts.last()? {
        Stmt::Expr(Expr::Async(_), None) => Some(Location::Tail),
        Stmt::Expr(Expr::Call(ExprCall { func, args, .. }), None) => {
            let Expr::Path(path) = &**func else {
                return None;
            };
            let segments: Vec<_> =
                path.path.segments.iter().rev().take(2).map(|s| &s.ident).collect();
            let is_box_pin = segments.len() == 2 && segments[0] == "pin" && segments[1] == "Box";
            (is_box_pin && args.len() == 1 && matches!(args.first(), Some(Expr::Async(_))))
                .then_some(Location::BoxPinned)
        }
        _ => None,
    }
}

/// Whether `sig`/`block` is a function returning an async block.
pub(crate) fn is_async_like(sig: &Signature, block: &Block) -> bool {
    locate(sig, block).is_some()
}

/// The async block `sig`/`block` returns, if it is such a function.
pub(crate) fn async_block_mut<'a>(
    sig: &Signature,
    block: &'a mut Block,
) -> Option<&'a mut ExprAsync> {
    let location = locate(sig, block)?;
    match (location, block.stmts.last_mut()?) {
        (Location::Tail, Stmt::Expr(Expr::Async(async_block), None)) => Some(async_block),
        (Location::BoxPinned, Stmt::Expr(Expr::Call(call), None)) => match call.args.first_mut() {
            Some(Expr::Async(async_block)) => Some(async_block),
            _ => None,
        },
        _ => None,
    }
}
