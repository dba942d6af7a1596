// Parameters as a JSON file: export what the form holds, import a file saved before (or a
// Hiplot data.json), so a figure can be made again with the same settings.

import { isObject, saveBlob } from "./dom.js";

const SECTIONS = ["data", "dataArg", "general", "extra"];

export function exportParams(plugin, version, params) {
  const document_ = { plotforge: 1, plugin, version: version || null, params };
  const blob = new Blob([`${JSON.stringify(document_, null, 2)}\n`], { type: "application/json" });
  saveBlob(blob, `${plugin.replace("/", "-")}-parameters.json`);
}

function looksLikeConfig(value) {
  return isObject(value) && SECTIONS.some((s) => isObject(value[s]) || Array.isArray(value[s]));
}

/**
 * The params.config in a parameter file: ours ({plotforge, plugin, params}), a Hiplot
 * data.json ({params: {config}}), or a bare config. Throws when it is none of these.
 */
export function paramsFromJson(text) {
  const data = JSON.parse(text);
  const candidates = [data?.params, data?.params?.config, data?.request?.params, data];
  const config = candidates.find(looksLikeConfig);
  if (!config) throw new Error("not a parameter file");
  const out = {};
  for (const section of SECTIONS) if (isObject(config[section])) out[section] = config[section];
  return { config: out, plugin: typeof data?.plugin === "string" ? data.plugin : null };
}

export function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}
