//! Message content as clients send it over REST (`POST /messages` reads a `SendRequest`) and
//! as stored custom content is read back (`parse_custom_json`): accepted input survives a JSON
//! round trip and the trip through proto.

#![no_main]

use chat_fuzz::{check_content, json_round_trip};
use chat_wire::{Content, SendRequest, parse_custom_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(content) = serde_json::from_slice::<Content>(data) {
        json_round_trip(&content);
        check_content(&content);
    }
    if let Ok(request) = serde_json::from_slice::<SendRequest>(data) {
        json_round_trip(&request);
        check_content(&request.content);
    }
    // What the message service stores for custom content is read back with this parser: a
    // value it accepts is written and read back unchanged.
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(value) = parse_custom_json(text)
    {
        let again = parse_custom_json(&value.to_string()).expect("stored custom JSON reads back");
        assert_eq!(again, value);
    }
});
