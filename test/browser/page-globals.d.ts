// The DOM globals the functions given to page.evaluate use (browser-support.ts, the browser tests):
// they run in the page, not in Node, and the tests compile without the DOM library, so only what
// they touch is declared, once, here (a script file: its declarations are global to the tests).
interface PageEl {
  getAttribute(name: string): string | null;
  closest(selector: string): PageEl | null;
  querySelectorAll(selector: string): Iterable<PageEl>;
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  parentElement: PageEl | null;
  tagName: string;
}
declare const document: {
  querySelector(selector: string): PageEl | null;
  querySelectorAll(selector: string): Iterable<PageEl>;
  createTreeWalker(root: PageEl, what: number): { nextNode(): PageEl | null };
};
declare const NodeFilter: { SHOW_TEXT: number };
declare const location: { hash: string };
