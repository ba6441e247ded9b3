#include "telephony/telephony.h"

namespace telemark::telephony {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kRinging: return "ringing";
    case EventKind::kAnsweredHuman: return "answered_human";
    case EventKind::kAnsweredMachine: return "answered_machine";
    case EventKind::kBusy: return "busy";
    case EventKind::kNoAnswer: return "no_answer";
    case EventKind::kFailed: return "failed";
    case EventKind::kHangup: return "hangup";
    case EventKind::kMessageDone: return "message_done";
  }
  return "unknown";
}

}  // namespace telemark::telephony
