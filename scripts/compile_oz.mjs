#!/usr/bin/env node
// Compiles the OpenZeppelin governance stand-in (src/tpp/contracts/governance/*.sol) with the
// npm `solc` (solcjs) into build/oz/artifacts.json, the file tpp.chain.artifacts loads
// ({name: {abi, bytecode, deployedBytecode, source}}), plus build/oz/meta.json (compiler,
// settings, hash) for provenance.
//
// Cached by source hash: sha256 over the solc package version, the @openzeppelin/contracts version, every
// .sol input of ours (path and content) and this script. When build/oz/source-hash.txt already
// holds that hash nothing is compiled. Exit codes: 0 written or up to date, 1 compile error or a
// contract over the EIP-170 size limit, 2 toolchain missing.
//
// Environment: TPP_BUILD_DIR overrides <repo>/build (as in tpp.chain.artifacts).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const scriptPath = fileURLToPath(import.meta.url);
const repo = path.resolve(path.dirname(scriptPath), "..");
const sourceDir = path.join(repo, "src", "tpp", "contracts", "governance");
const nodeModules = path.join(repo, "node_modules");
const buildDir = process.env.TPP_BUILD_DIR ? path.resolve(process.env.TPP_BUILD_DIR) : path.join(repo, "build");
const outDir = path.join(buildDir, "oz");
const artifactsPath = path.join(outDir, "artifacts.json");
const hashPath = path.join(outDir, "source-hash.txt");

// Contracts tpp deploys; the build fails if one is missing from the output.
const REQUIRED = ["TppToken", "TppGovernor", "TimelockController"];
// Compiled from node_modules rather than from our sources (no subclass of ours).
const EXTRA = { "@openzeppelin/contracts/governance/TimelockController.sol": ["TimelockController"] };
// EIP-170: deployed code larger than this cannot be deployed on mainnet-like chains.
const MAX_RUNTIME_BYTES = 24_576;
// Solc settings. 200 runs keeps TppGovernor under EIP-170 without viaIR (see sizes printed).
const SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 200 },
};

function fail(message, code = 1) {
  console.error(message);
  process.exit(code);
}

const solcPackage = path.join(nodeModules, "solc", "package.json");
const ozPackage = path.join(nodeModules, "@openzeppelin", "contracts", "package.json");
for (const [what, file] of [["solc", solcPackage], ["@openzeppelin/contracts", ozPackage]]) {
  if (!existsSync(file)) fail(`compile_oz: npm package ${what} not found under ${nodeModules} (run \`make setup\` or \`npm ci\`)`, 2);
}
// Package versions (e.g. "0.8.30", "5.7.0") go into the hash: Python reads them without node.
const solcPackageVersion = JSON.parse(readFileSync(solcPackage, "utf8")).version;
const ozVersion = JSON.parse(readFileSync(ozPackage, "utf8")).version;

// Our inputs, keyed by their path relative to the repo (the source unit names solc sees).
const ourFiles = readdirSync(sourceDir)
  .filter((name) => name.endsWith(".sol"))
  .sort()
  .map((name) => path.posix.join("src/tpp/contracts/governance", name));
if (ourFiles.length === 0) fail(`compile_oz: no .sol files in ${sourceDir}`);
const sources = {};
for (const unit of ourFiles) sources[unit] = { content: readFileSync(path.join(repo, unit), "utf8") };

// Every field is fed as bytes with its label and length, so no two inputs hash alike.
// tpp/chain/artifacts.py computes the same hash to skip starting node when nothing changed.
const hasher = createHash("sha256");
const feed = (label, bytes) => hasher.update(Buffer.from(`${label}\0${bytes.length}\0`)).update(bytes);
feed("solc", Buffer.from(solcPackageVersion));
feed("openzeppelin", Buffer.from(ozVersion));
for (const unit of ourFiles) feed(unit, readFileSync(path.join(repo, unit)));
feed("script", readFileSync(scriptPath));
const hash = hasher.digest("hex");

if (existsSync(hashPath) && existsSync(artifactsPath) && readFileSync(hashPath, "utf8").trim() === hash) {
  console.log(`oz artifacts up to date (${hash.slice(0, 12)})`);
  process.exit(0);
}

// Import callback: "@openzeppelin/..." (and any other package path) from node_modules,
// anything else relative to the repo.
function findImports(unit) {
  const candidates = [path.join(nodeModules, unit), path.join(repo, unit)];
  for (const file of candidates) {
    if (existsSync(file)) return { contents: readFileSync(file, "utf8") };
  }
  return { error: `file not found: ${unit} (looked in node_modules and the repo)` };
}

const wanted = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"];
const outputSelection = {};
for (const unit of ourFiles) outputSelection[unit] = { "*": wanted };
for (const [unit, names] of Object.entries(EXTRA)) {
  outputSelection[unit] = Object.fromEntries(names.map((name) => [name, wanted]));
}
const input = { language: "Solidity", sources, settings: { ...SETTINGS, outputSelection } };

// Loading solcjs takes about a second, so only after the cache check.
const solc = createRequire(path.join(repo, "package.json"))("solc");
const solcVersion = solc.version();
const started = Date.now();
console.log(`compiling ${ourFiles.length} files with solc ${solcVersion}, OpenZeppelin ${ozVersion} ...`);
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const seconds = ((Date.now() - started) / 1000).toFixed(1);

const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const warning of (output.errors ?? []).filter((e) => e.severity !== "error")) {
  console.warn(warning.formattedMessage ?? warning.message);
}
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage ?? e.message);
  fail(`compile_oz: ${errors.length} compile error(s); nothing written`);
}

const artifacts = {};
for (const [unit, contracts] of Object.entries(output.contracts ?? {})) {
  for (const [name, c] of Object.entries(contracts)) {
    const bytecode = c.evm?.bytecode?.object ?? "";
    if (bytecode === "") continue; // abstract contracts and interfaces
    if (name in artifacts) fail(`compile_oz: two contracts named ${name} (${unit}); names must be unique`);
    artifacts[name] = {
      abi: c.abi,
      bytecode: `0x${bytecode}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      source: unit,
    };
  }
}
const missing = REQUIRED.filter((name) => !(name in artifacts));
if (missing.length > 0) fail(`compile_oz: missing from the output: ${missing.join(", ")}`);

let oversize = false;
for (const [name, a] of Object.entries(artifacts)) {
  const size = (a.deployedBytecode.length - 2) / 2;
  const flag = size > MAX_RUNTIME_BYTES ? "  OVER EIP-170 LIMIT" : "";
  if (flag) oversize = true;
  console.log(`  ${name.padEnd(20)} ${String(size).padStart(6)} bytes deployed${flag}`);
}
if (oversize) fail(`compile_oz: deployed code over ${MAX_RUNTIME_BYTES} bytes; lower optimizer runs or enable viaIR`);

const meta = { solc: solcVersion, openzeppelin: ozVersion, settings: SETTINGS, sourceHash: hash };
mkdirSync(outDir, { recursive: true });
// Write to a temporary name and rename, so a reader never sees half a file; the hash goes
// last, so an interrupted run compiles again next time.
const tmp = `.tmp-${process.pid}`; // per process, so concurrent builds never share a file
writeFileSync(`${artifactsPath}${tmp}`, JSON.stringify(artifacts));
writeFileSync(path.join(outDir, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
renameSync(`${artifactsPath}${tmp}`, artifactsPath);
writeFileSync(`${hashPath}${tmp}`, `${hash}\n`);
renameSync(`${hashPath}${tmp}`, hashPath);
const shown = path.relative(process.cwd(), artifactsPath);
console.log(`wrote ${shown.startsWith("..") ? artifactsPath : shown} (${hash.slice(0, 12)}) in ${seconds}s`);
