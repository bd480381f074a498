//! A protobuf writer into one growing buffer ([encoding][enc]).
//!
//! Fields go out in the order they are written, so callers write them in
//! field-number order, as protobuf's own serializers do. A nested message
//! reserves one byte for its length and fills it in when it closes; the rare
//! message of 128 bytes or more shifts its body to make room for the longer
//! length. The outermost message is written after [`HEADER`] spare bytes, so
//! that its key and length go in front of it without moving it.
//!
//! [enc]: https://protobuf.dev/programming-guides/encoding/

/// Wire type of varint fields (`uint64`, `int64`, `bool`, enums).
const VARINT: u32 = 0;
/// Wire type of 64-bit fields (`double`).
const FIXED64: u32 = 1;
/// Wire type of length-delimited fields (strings, messages).
const LEN: u32 = 2;

/// The longest varint: ten bytes of seven bits hold 64.
const MAX_VARINT: usize = 10;

/// Room for a key and a length in front of the outermost message.
const HEADER: usize = 2 * MAX_VARINT;

/// The buffer's first capacity.
const START: usize = 4096;

/// Writes `value` as a varint into `out`; returns the number of bytes.
fn varint_into(mut value: u64, out: &mut [u8; MAX_VARINT]) -> usize {
    let mut n = 0;
    while value >= 0x80 {
        // Truncation keeps the low seven bits, which is the point.
        #[allow(clippy::cast_possible_truncation, reason = "low seven bits")]
        let low = value as u8;
        out[n] = low | 0x80;
        value >>= 7;
        n += 1;
    }
    #[allow(clippy::cast_possible_truncation, reason = "below 0x80")]
    let last = value as u8;
    out[n] = last;
    n + 1
}

/// The buffer of one top-level message being written.
#[derive(Debug, Default)]
pub(super) struct Wire {
    buf: Vec<u8>,
}

impl Wire {
    /// Starts a new outermost message, keeping the buffer's allocation.
    pub(super) fn begin(&mut self) {
        self.buf.clear();
        // Most families outgrow a small start; this saves the first few
        // doublings of the buffer.
        self.buf.reserve(START);
        self.buf.resize(HEADER, 0);
    }

    /// Ends the outermost message and returns it with its length in front,
    /// and before that the key of `field` (a length-delimited field) when
    /// one is given.
    pub(super) fn end(&mut self, field: Option<u32>) -> &[u8] {
        let len = self.buf.len() - HEADER;
        let mut prefix = [0u8; HEADER];
        let mut n = 0;
        if let Some(field) = field {
            let mut key = [0u8; MAX_VARINT];
            let k = varint_into(u64::from(field << 3 | LEN), &mut key);
            prefix[..k].copy_from_slice(&key[..k]);
            n = k;
        }
        let mut length = [0u8; MAX_VARINT];
        let l = varint_into(len as u64, &mut length);
        prefix[n..n + l].copy_from_slice(&length[..l]);
        n += l;
        let start = HEADER - n;
        self.buf[start..HEADER].copy_from_slice(&prefix[..n]);
        &self.buf[start..]
    }

    /// Pushes byte by byte: most varints here (keys, lengths, counts) are
    /// one or two bytes, for which a copy of a variable-length slice costs
    /// more than the pushes.
    #[inline]
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            #[allow(clippy::cast_possible_truncation, reason = "low seven bits")]
            self.buf.push(value as u8 | 0x80);
            value >>= 7;
        }
        #[allow(clippy::cast_possible_truncation, reason = "below 0x80")]
        self.buf.push(value as u8);
    }

    #[inline]
    fn key(&mut self, field: u32, wire_type: u32) {
        self.varint(u64::from(field << 3 | wire_type));
    }

    /// A `uint64` field.
    #[inline]
    pub(super) fn uint64(&mut self, field: u32, value: u64) {
        self.key(field, VARINT);
        self.varint(value);
    }

    /// An `int64` (or `int32`, or enum) field: negative values take ten
    /// bytes, their two's complement as a varint.
    #[inline]
    pub(super) fn int64(&mut self, field: u32, value: i64) {
        self.key(field, VARINT);
        #[allow(
            clippy::cast_sign_loss,
            reason = "the encoding is the two's complement"
        )]
        self.varint(value as u64);
    }

    /// A `bool` field.
    #[inline]
    pub(super) fn boolean(&mut self, field: u32, value: bool) {
        self.key(field, VARINT);
        self.buf.push(u8::from(value));
    }

    /// A `double` field.
    #[inline]
    pub(super) fn double(&mut self, field: u32, value: f64) {
        self.key(field, FIXED64);
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    /// A `string` field made of `parts` one after the other.
    #[inline]
    pub(super) fn string(&mut self, field: u32, parts: &[&str]) {
        self.key(field, LEN);
        self.varint(parts.iter().map(|p| p.len() as u64).sum());
        for part in parts {
            self.buf.extend_from_slice(part.as_bytes());
        }
    }

    /// Appends bytes already encoded as fields of the current message.
    #[inline]
    pub(super) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Opens a nested message as field `field`; returns where its length
    /// goes, for [`close`](Self::close).
    #[inline]
    pub(super) fn open(&mut self, field: u32) -> usize {
        self.key(field, LEN);
        self.buf.push(0);
        self.buf.len() - 1
    }

    /// Closes the nested message opened at `at`, writing its length.
    #[inline]
    pub(super) fn close(&mut self, at: usize) {
        let len = self.buf.len() - at - 1;
        if let Ok(byte @ 0..0x80) = u8::try_from(len) {
            self.buf[at] = byte;
            return;
        }
        let mut bytes = [0u8; MAX_VARINT];
        let n = varint_into(len as u64, &mut bytes);
        self.buf[at] = bytes[0];
        self.buf.splice(at + 1..at + 1, bytes[1..n].iter().copied());
    }
}

/// Encodes into a scratch buffer: fields prepared once and copied into many
/// messages (a family's constant labels).
#[derive(Debug, Default)]
pub(super) struct Fields(Wire);

impl Fields {
    /// Empties the buffer, keeping its allocation.
    pub(super) fn clear(&mut self) {
        self.0.buf.clear();
    }

    /// The writer to add fields with.
    pub(super) fn wire(&mut self) -> &mut Wire {
        &mut self.0
    }

    /// The encoded fields.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.0.buf
    }
}

#[cfg(test)]
mod tests {
    use prost::encoding::{encode_key, encode_varint, WireType};

    use super::*;

    #[test]
    fn varints_match_prost() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut ours = [0u8; MAX_VARINT];
            let n = varint_into(value, &mut ours);
            let mut theirs = Vec::new();
            encode_varint(value, &mut theirs);
            assert_eq!(&ours[..n], &theirs[..], "{value}");
        }
    }

    #[test]
    fn scalar_fields_match_prost() {
        let mut w = Wire::default();
        w.begin();
        w.uint64(1, 300);
        w.int64(2, -1);
        w.boolean(3, true);
        w.double(4, -0.5);
        w.string(5, &["ab", "", "c"]);
        let ours = w.end(None)[1..].to_vec();

        let mut theirs = Vec::new();
        prost::encoding::uint64::encode(1, &300, &mut theirs);
        prost::encoding::int64::encode(2, &-1, &mut theirs);
        prost::encoding::bool::encode(3, &true, &mut theirs);
        prost::encoding::double::encode(4, &-0.5, &mut theirs);
        prost::encoding::string::encode(5, &"abc".to_owned(), &mut theirs);
        assert_eq!(ours, theirs);
    }

    #[test]
    fn nested_lengths_grow_as_needed() {
        for len in [0usize, 1, 127, 128, 16_383, 16_384, 70_000] {
            let mut w = Wire::default();
            w.begin();
            let at = w.open(7);
            w.raw(&vec![0xab; len]);
            w.close(at);
            w.uint64(1, 5);
            let ours = w.end(Some(3)).to_vec();

            let mut body = Vec::new();
            encode_key(7, WireType::LengthDelimited, &mut body);
            encode_varint(len as u64, &mut body);
            body.extend(std::iter::repeat_n(0xab, len));
            prost::encoding::uint64::encode(1, &5, &mut body);
            let mut theirs = Vec::new();
            encode_key(3, WireType::LengthDelimited, &mut theirs);
            encode_varint(body.len() as u64, &mut theirs);
            theirs.extend_from_slice(&body);
            assert_eq!(ours, theirs, "{len}");
        }
    }

    #[test]
    fn an_empty_outer_message_is_its_length() {
        let mut w = Wire::default();
        w.begin();
        assert_eq!(w.end(None), [0]);
        w.begin();
        assert_eq!(w.end(Some(1)), [0x0a, 0]);
    }
}
