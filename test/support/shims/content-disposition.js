// content-disposition 3 is ESM-only; Node >= 20.19 loads it from CommonJS, Jest's module
// loader cannot. @fastify/static only needs `create` for file downloads, which no test makes.
'use strict';
module.exports = {
  create(filename) {
    return `attachment; filename="${String(filename).replace(/[^\x20-\x7e]|"/g, '_')}"`;
  },
};
