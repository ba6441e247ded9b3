// A stored lead's built-in fields as text, in one order and one spelling:
// the columns of `telemark leads --export` (which then adds score and
// attributes) and of the tables lead scoring builds from stored leads.
// Times are ISO 8601 (empty when unknown), the phone is "+<E.164>",
// contract_active is "true" or "false".
//
// Pure functions; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "store/store.h"

namespace telemark::leads {

// "lead_id", "list_id", "phone", "phone_raw", ..., "contract_ended_at".
std::span<const std::string_view> lead_text_fields();
// The field's index in lead_text_fields(), or -1.
int lead_text_field_index(std::string_view name);
// Field `field` (an index in lead_text_fields()) of `lead`.
std::string lead_field_text(const store::Lead& lead, size_t field);

}  // namespace telemark::leads
