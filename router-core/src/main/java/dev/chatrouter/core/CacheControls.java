package dev.chatrouter.core;

import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;

import java.util.ArrayList;
import java.util.List;

/** Removes {@code cache_control} breakpoints for targets that do not take them. */
final class CacheControls {

    private CacheControls() {
    }

    /** The messages without any {@code cache_control}, or {@code null} when there was none (nothing to copy). */
    static List<Message> strip(List<Message> messages) {
        boolean any = false;
        for (Message m : messages) {
            if (m.content() instanceof Content.Parts parts) {
                for (ContentPart part : parts.parts()) {
                    if (part.cacheControl() != null) {
                        any = true;
                        break;
                    }
                }
            }
        }
        if (!any) {
            return null;
        }
        List<Message> out = new ArrayList<>(messages.size());
        for (Message m : messages) {
            if (m.content() instanceof Content.Parts parts) {
                List<ContentPart> copy = new ArrayList<>(parts.parts().size());
                for (ContentPart part : parts.parts()) {
                    copy.add(part.cacheControl() == null ? part : without(part));
                }
                out.add(new Message(m.role(), Content.of(copy), m.name(), m.toolCalls(), m.toolCallId(), m.refusal(),
                        m.extra()));
            } else {
                out.add(m);
            }
        }
        return out;
    }

    private static ContentPart without(ContentPart part) {
        if (part instanceof ContentPart.Text t) {
            return new ContentPart.Text(t.text(), null, t.extra());
        }
        if (part instanceof ContentPart.Image i) {
            return new ContentPart.Image(i.url(), i.detail(), null, i.extra(), i.imageExtra());
        }
        if (part instanceof ContentPart.Audio a) {
            return new ContentPart.Audio(a.data(), a.format(), null, a.extra());
        }
        if (part instanceof ContentPart.File f) {
            return new ContentPart.File(f.fileId(), f.filename(), f.fileData(), null, f.extra());
        }
        ContentPart.Other o = (ContentPart.Other) part;
        return new ContentPart.Other(o.type(), null, o.fields());
    }
}
