import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import rehypeSanitize from 'rehype-sanitize';

const MENTION = /(^|[\s(])@([A-Za-z0-9_.-]{1,32})/g;

/** `@name` becomes a link to `#mention-name`, rendered as a highlighted chip. */
export function linkMentions(body: string): string {
  // Leave code spans and blocks alone.
  return body
    .split(/(```[\s\S]*?```|`[^`\n]*`)/g)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(MENTION, (_m, pre: string, name: string) => `${pre}[@${name}](#mention-${name})`)))
    .join('');
}

const components: Components = {
  a({ href, children }) {
    if (href?.startsWith('#mention-')) {
      return <span className="mention">{children}</span>;
    }
    return (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    );
  },
  img({ alt }) {
    // No remote images in messages (privacy, layout): show the alt text.
    return <span className="muted">[image{alt ? `: ${alt}` : ''}]</span>;
  },
};

/** Markdown (GFM) with HTML sanitised by rehype-sanitize's GitHub schema. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={[remarkGfm]} rehypePlugins={[rehypeSanitize]} components={components}>
        {linkMentions(text)}
      </ReactMarkdown>
    </div>
  );
});
