#ifndef FS_STREAMS_SIMD_H
#define FS_STREAMS_SIMD_H

#include <stddef.h>
#include <stdint.h>

/// What `fs_json_decode_string_run` did: input bytes consumed, decoded bytes written, and
/// `FS_JSON_RUN_*` flags.
typedef struct {
    size_t consumed;
    size_t produced;
    uint32_t flags;
} fs_json_string_run;

/// The run reached the string's closing quote and consumed it.
#define FS_JSON_RUN_ENDED 1u
/// The run decoded at least one escape.
#define FS_JSON_RUN_ESCAPED 2u
/// A consumed content byte is >= 0x80 (the caller validates UTF-8).
#define FS_JSON_RUN_NON_ASCII 4u

/// Nonzero when this CPU can run `fs_json_decode_string_run` (x86-64 with SSSE3 and POPCNT).
int fs_json_string_run_available(void);

/// Decodes JSON string content at `src` (after the opening quote) into `dst`, 16 bytes at a
/// time, while each 16-byte block holds only plain bytes and `\"` escapes; a block holding the
/// closing quote ends the run (the quote is consumed). Stops before anything else — another
/// escape, a control byte, a block past `count` — and leaves it to the caller: `consumed` is
/// then the start of that block, or the backslash just before it when that backslash escapes
/// the block's first byte — never the middle of an escape. `FS_JSON_RUN_ESCAPED` may count
/// such a backslash; the caller decodes it next, so its own flag ends up the same.
///
/// `dst` needs room for `count` bytes: blocks are stored whole, never past the input consumed
/// plus 16, and the part past `produced` is scratch.
/// Call only when `fs_json_string_run_available()`.
fs_json_string_run fs_json_decode_string_run(const uint8_t *src, size_t count, uint8_t *dst);

#endif
