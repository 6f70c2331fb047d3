#include "common/yaml_events.h"

#include <yaml.h>

#include "common/error.h"

namespace varan::yaml {

std::vector<Event> read_events(std::string_view in, std::size_t max_depth) {
  yaml_parser_t parser;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(in.data()),
                               in.size());
  std::vector<Event> events;
  std::size_t depth = 0;
  auto str = [](const yaml_char_t* s) {
    return s ? std::string(reinterpret_cast<const char*>(s)) : std::string();
  };
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      std::string msg = std::string(parser.problem ? parser.problem : "syntax error") +
                        " at line " + std::to_string(parser.problem_mark.line + 1) + " column " +
                        std::to_string(parser.problem_mark.column + 1);
      if (parser.context) msg += " (" + std::string(parser.context) + ")";
      yaml_parser_delete(&parser);
      throw varan::Error(msg);
    }
    Event e;
    e.start = {ev.start_mark.line, ev.start_mark.column};
    e.end = {ev.end_mark.line, ev.end_mark.column};
    switch (ev.type) {
      case YAML_STREAM_START_EVENT:
        e.type = EventType::kStreamStart;
        break;
      case YAML_STREAM_END_EVENT:
        e.type = EventType::kStreamEnd;
        break;
      case YAML_DOCUMENT_START_EVENT:
        e.type = EventType::kDocumentStart;
        break;
      case YAML_DOCUMENT_END_EVENT:
        e.type = EventType::kDocumentEnd;
        break;
      case YAML_ALIAS_EVENT:
        e.type = EventType::kAlias;
        e.anchor = str(ev.data.alias.anchor);
        break;
      case YAML_SCALAR_EVENT:
        e.type = EventType::kScalar;
        e.anchor = str(ev.data.scalar.anchor);
        e.tag = str(ev.data.scalar.tag);
        e.value.assign(reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length);
        switch (ev.data.scalar.style) {
          case YAML_SINGLE_QUOTED_SCALAR_STYLE:
            e.style = ScalarStyle::kSingleQuoted;
            break;
          case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
            e.style = ScalarStyle::kDoubleQuoted;
            break;
          case YAML_LITERAL_SCALAR_STYLE:
            e.style = ScalarStyle::kLiteral;
            break;
          case YAML_FOLDED_SCALAR_STYLE:
            e.style = ScalarStyle::kFolded;
            break;
          default:
            e.style = ScalarStyle::kPlain;
        }
        break;
      case YAML_SEQUENCE_START_EVENT:
        e.type = EventType::kSequenceStart;
        e.anchor = str(ev.data.sequence_start.anchor);
        e.tag = str(ev.data.sequence_start.tag);
        e.flow = ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        break;
      case YAML_SEQUENCE_END_EVENT:
        e.type = EventType::kSequenceEnd;
        break;
      case YAML_MAPPING_START_EVENT:
        e.type = EventType::kMappingStart;
        e.anchor = str(ev.data.mapping_start.anchor);
        e.tag = str(ev.data.mapping_start.tag);
        e.flow = ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
        break;
      case YAML_MAPPING_END_EVENT:
        e.type = EventType::kMappingEnd;
        break;
      default:
        e.type = EventType::kStreamEnd;
    }
    bool done = ev.type == YAML_STREAM_END_EVENT;
    if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
      if (++depth > max_depth) {
        yaml_event_delete(&ev);
        yaml_parser_delete(&parser);
        throw varan::Error("nested too deeply (more than " + std::to_string(max_depth) +
                           " levels) at line " + std::to_string(e.start.line + 1) + " column " +
                           std::to_string(e.start.column + 1));
      }
    } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
      --depth;
    }
    yaml_event_delete(&ev);
    events.push_back(std::move(e));
    if (done) break;
  }
  yaml_parser_delete(&parser);
  return events;
}

}  // namespace varan::yaml
