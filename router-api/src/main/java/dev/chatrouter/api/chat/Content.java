package dev.chatrouter.api.chat;

import java.util.List;
import java.util.Objects;

/** A message's content: a plain string or a list of parts, as it was sent. */
public sealed interface Content {

    static Content of(String text) {
        return new Text(text);
    }

    static Content of(List<ContentPart> parts) {
        return new Parts(parts);
    }

    /** The text of the content: the string, or the text parts joined by newlines. */
    String text();

    record Text(String text) implements Content {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    record Parts(List<ContentPart> parts) implements Content {
        public Parts {
            parts = List.copyOf(parts);
        }

        @Override
        public String text() {
            StringBuilder sb = new StringBuilder();
            for (ContentPart part : parts) {
                if (part instanceof ContentPart.Text t) {
                    if (sb.length() > 0) {
                        sb.append('\n');
                    }
                    sb.append(t.text());
                }
            }
            return sb.toString();
        }
    }
}
