//! Target `upstream_answer`: bytes as HeyGen might answer a read over
//! plain HTTP/1.1, read by the gateway's plain client
//! (`heygen_gateway::upstream::read_answer`). Input: one byte choosing how
//! many bytes arrive at a time (and whether the read was a `HEAD`), then
//! the answer.
//!
//! Checked: reading never panics, and the answer (its status, body, what
//! is left after it, whether the connection would be reused) or the
//! refusal is the same however the bytes arrive. A framing that depended
//! on it could hand one answer's bytes to the next request.

use heygen_gateway::upstream::read_answer;

pub fn run(data: &[u8]) {
    let Some((&choice, wire)) = data.split_first() else {
        return;
    };
    let head_request = choice & 0x80 != 0;
    let step = usize::from(choice & 0x7f).max(1);
    let whole = read_answer(wire, wire.len(), head_request);
    let pieces = read_answer(wire, step, head_request);
    assert_eq!(whole, pieces, "read whole and {step} bytes at a time");
    let bytewise = read_answer(wire, 1, head_request);
    assert_eq!(whole, bytewise, "read whole and a byte at a time");
    if let Ok(answer) = whole {
        assert!(answer.body.len() + answer.rest.len() <= wire.len());
        assert!(!answer.reusable || answer.rest.is_empty());
    }
}
