// The page's one job: send the text to POST /annotate and show it back with the mentions highlighted.
"use strict";

const textBox = document.getElementById("text");
const button = document.getElementById("annotate");
const status = document.getElementById("status");
const result = document.getElementById("result");

function hoverText(mention) {
  const entity = mention.entity ? mention.entity.replaceAll("_", " ") : "NIL (not in the knowledge base)";
  return `${mention.label} · ${entity} · NER ${mention.ner_score.toFixed(2)} · link ${mention.el_score.toFixed(2)}`;
}

function mentionElement(mention) {
  const element = document.createElement(mention.url ? "a" : "span");
  element.className = `mention ${mention.label}` + (mention.url ? "" : " nil");
  if (mention.url) {
    element.href = mention.url;
    element.target = "_blank";
    element.rel = "noopener";
  }
  element.title = hoverText(mention);
  element.dataset.entity = mention.entity || "NIL";
  element.append(mention.text);
  const label = document.createElement("span");
  label.className = "label";
  label.textContent = mention.label;
  element.append(label);
  return element;
}

function render(text, mentions) {
  // The server's offsets count code points; a JavaScript string counts UTF-16 units (two for an emoji).
  const characters = Array.from(text);
  result.replaceChildren();
  let at = 0;
  for (const mention of mentions) {
    if (mention.start < at) continue;
    result.append(characters.slice(at, mention.start).join(""), mentionElement(mention));
    at = mention.end;
  }
  result.append(characters.slice(at).join(""));
}

async function annotate() {
  const text = textBox.value;
  button.disabled = true;
  status.className = "";
  status.textContent = "annotating…";
  try {
    const response = await fetch("/annotate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.detail || response.statusText);
    render(text, body.mentions);
    const linked = body.mentions.filter((m) => m.entity).length;
    status.textContent = `${body.mentions.length} mentions, ${linked} linked`;
  } catch (error) {
    status.className = "error";
    status.textContent = `error: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}

button.addEventListener("click", annotate);
textBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) annotate();
});
