// A plugin's README drawn as text: headings, paragraphs, lists, `code`, **bold** and http(s)
// links. Everything becomes text nodes and known elements, never HTML from the file.

import { h } from "./dom.js";

function inline(text) {
  const parts = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    if (match[1] !== undefined) parts.push(h("code", { text: match[1] }));
    else if (match[2] !== undefined) parts.push(h("strong", { text: match[2] }));
    else parts.push(h("a", { href: match[4], text: match[3], rel: "noopener noreferrer", target: "_blank" }));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function renderMarkdown(source) {
  const root = h("div", { class: "markdown" });
  let list = null;
  let paragraph = [];
  let fence = null;
  const flush = () => {
    if (paragraph.length) root.append(h("p", {}, inline(paragraph.join(" "))));
    paragraph = [];
  };
  for (const raw of String(source || "").split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (fence !== null) {
      if (line.startsWith("```")) { root.append(h("pre", {}, h("code", { text: fence.join("\n") }))); fence = null; }
      else fence.push(raw);
      continue;
    }
    if (line.startsWith("```")) { flush(); list = null; fence = []; continue; }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*+]|\d+\.)\s+(.*)$/.exec(line);
    if (heading) {
      flush(); list = null;
      root.append(h(heading[1].length <= 2 ? "h3" : "h4", {}, inline(heading[2])));
    } else if (item) {
      flush();
      if (!list) { list = h("ul"); root.append(list); }
      list.append(h("li", {}, inline(item[1])));
    } else if (!line.trim()) {
      flush(); list = null;
    } else {
      list = null;
      paragraph.push(line.trim());
    }
  }
  flush();
  return root;
}
