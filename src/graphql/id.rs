//! Opaque, stable IDs: the type name and database key, base64url-encoded, so an ID
//! names its type and survives restarts and re-imports of the same list.

use async_graphql::{ErrorExtensions, ID};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ApiError, ApiResult};

/// The ID of object `key` of GraphQL type `type_name`.
pub fn encode(type_name: &str, key: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{key}")))
}

/// The key of an ID of type `type_name`; any other ID is a `BAD_USER_INPUT` error.
pub fn decode(id: &ID, type_name: &str) -> ApiResult<i32> {
    let key = URL_SAFE_NO_PAD
        .decode(id.as_bytes())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix(type_name)?
                .strip_prefix(':')?
                .parse()
                .ok()
        });
    key.ok_or_else(|| {
        ApiError::BadUserInput(format!("`{}` is not a {type_name} ID", id.as_str())).extend()
    })
}

/// The type name and key of any lvzhi ID; `None` if it is not one.
pub fn decode_any(id: &ID) -> Option<(String, i32)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?).ok()?;
    let (type_name, key) = text.split_once(':')?;
    Some((type_name.to_owned(), key.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_name_their_type() {
        let id = encode("DutyList", 42);
        assert_eq!(decode(&id, "DutyList").unwrap(), 42);
        assert!(decode(&id, "Duty").is_err());
        assert!(decode(&ID("not base64!".into()), "DutyList").is_err());
    }
}
