'use strict';
// Real Mongoose behind a pipe: one JSON operation per line on stdin, one JSON answer per
// line on stdout. tests/oracle/mongoose_oracle.py drives it; no database is involved
// (Mongoose compiles models without a connection).
//
// Usage: node oracle.js MONGOOSE_INSTALL_DIR   (the folder scripts/mongoose.sh prints)
//
// Operations (each may name `reg`, an index into the registries made by `reset`):
//   {op: "reset", kinds: ["mongoose" | "connection", ...], options?}  fresh
//       `new Mongoose(options)`s, or a connection of a fresh one (createConnection(), never
//       opened); forgets schemas and ids
//   {op: "schema", id, fields: [path...], collection}   new Schema({path: String}, {collection})
//   {op: "model", reg, name, schema?, collection?, overwrite?}   model(...); with only `name`
//       it is the one-argument lookup. schema is {ref: id} | {pojo: [path...]} | {of: modelId}
//       (that model's .schema) | {string: text} | {value: any JSON value} | {undefined: true}
//       `name` (and `collection`) may be any JSON value: they are passed as they are
//   {op: "get", reg, name}          models[name]
//   {op: "guard", reg, name, schema}   models[name] || model(name, schema)
//   {op: "del", reg, name}          delete models[name]
//   {op: "delete_model", reg, name | pattern: {source, flags}}
//   {op: "set", reg, value}         set('overwriteModels', value)
//   {op: "schema_path", reg, name, path}  compile a model whose schema has one path `path`
//   {op: "version"}
// Every answer is {value, error, state}: value describes what came back (a model as its
// identity, a number given to each distinct model object in order of first sight, with its
// name and collection), error is {class, message} or null, and state lists every registry's
// modelNames() and the identity of models[name] for each.
const path = require('path');
const readline = require('readline');

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: node oracle.js MONGOOSE_INSTALL_DIR\n');
  process.exit(2);
}
const mongoose = require(path.join(root, 'node_modules', 'mongoose'));

let registries = [];
let schemas = new Map();
let ids = new Map();
let byId = [];

function identity(model) {
  if (!ids.has(model)) {
    ids.set(model, byId.length);
    byId.push(model);
  }
  return ids.get(model);
}

function isModel(value) {
  return typeof value === 'function' && typeof value.modelName === 'string' && value.collection != null;
}

function describe(value) {
  if (value === undefined || value === null) {
    return null;
  }
  if (isModel(value)) {
    return { model: identity(value), name: value.modelName, collection: value.collection.name };
  }
  const index = registries.findIndex((r) => r.api === value);
  if (index >= 0) {
    return { registry: index };
  }
  return { other: typeof value, text: String(value).slice(0, 60) };
}

function definition(paths) {
  const def = {};
  for (const p of paths) {
    def[p] = String;
  }
  return def;
}

function schemaArg(spec) {
  if (spec.ref !== undefined) {
    return schemas.get(spec.ref);
  }
  if (spec.pojo !== undefined) {
    return definition(spec.pojo);
  }
  if (spec.of !== undefined) {
    return byId[spec.of].schema;
  }
  if (spec.string !== undefined) {
    return spec.string;
  }
  if (spec.value !== undefined) {
    return spec.value;
  }
  return undefined;
}

function state() {
  return registries.map((r) => ({
    names: r.api.modelNames(),
    models: Object.keys(r.api.models).map((n) => [n, describe(r.api.models[n])]),
  }));
}

function run(request) {
  const r = registries[request.reg || 0];
  switch (request.op) {
    case 'version':
      return mongoose.version;
    case 'reset': {
      registries = request.kinds.map((kind) => {
        const instance = new mongoose.Mongoose(request.options);
        return { kind, api: kind === 'connection' ? instance.createConnection() : instance };
      });
      schemas = new Map();
      ids = new Map();
      byId = [];
      return null;
    }
    case 'schema': {
      const options = request.collection == null ? {} : { collection: request.collection };
      schemas.set(request.id, new mongoose.Schema(definition(request.fields), options));
      return null;
    }
    case 'model': {
      if (request.schema === undefined && request.collection === undefined && request.overwrite === undefined) {
        return r.api.model(request.name);
      }
      const options = request.overwrite === undefined ? undefined : { overwriteModels: request.overwrite };
      const collection = request.collection === null ? undefined : request.collection;
      const schema = request.schema === undefined ? undefined : schemaArg(request.schema);
      return r.api.model(request.name, schema, collection, options);
    }
    case 'get':
      return r.api.models[request.name];
    case 'guard':
      return r.api.models[request.name] || r.api.model(request.name, schemaArg(request.schema));
    case 'del':
      delete r.api.models[request.name];
      return null;
    case 'delete_model': {
      const target = request.pattern ? new RegExp(request.pattern.source, request.pattern.flags) : request.name;
      return r.api.deleteModel(target);
    }
    case 'set':
      if (r.kind === 'connection') {
        r.api.base.set('overwriteModels', request.value);
        return null;
      }
      r.api.set('overwriteModels', request.value);
      return null;
    case 'schema_path': {
      const Model = r.api.model(request.name, new mongoose.Schema(definition([request.path])));
      return Model.schema.path(request.path) ? Model : null;
    }
    default:
      throw new Error(`unknown operation ${JSON.stringify(request.op)}`);
  }
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on('line', (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    let value = null;
    let error = null;
    try {
      value = describe(run(request));
    } catch (e) {
      error = { class: e && e.name ? e.name : typeof e, message: e && e.message !== undefined ? e.message : String(e) };
    }
    if (request.op === 'version') {
      value = mongoose.version;
    }
    answer = { value, error, state: state() };
  } catch (e) {
    answer = { value: null, error: { class: 'OracleError', message: String(e && e.stack || e) }, state: [] };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
