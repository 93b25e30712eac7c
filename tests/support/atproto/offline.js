// Keeps the PLC directory and the PDS off the internet: preloaded (`node --require`) by
// serve.js's processes, it refuses every TCP connection and name lookup that is not for
// loopback and records the attempt in network_violations.jsonl (in the working
// directory), for the harness to assert on. A configuration we forgot (a crawler, an app
// view, a DID resolved on plc.directory) then fails loudly instead of reaching out.
'use strict'

const dns = require('node:dns')
const fs = require('node:fs')
const net = require('node:net')

const LOG = 'network_violations.jsonl'

function loopback(host) {
  if (host === undefined || host === null || host === '' || host === 'localhost') return true
  const bare = String(host).replace(/^\[|\]$/g, '')
  if (net.isIPv4(bare)) return bare.startsWith('127.')
  if (net.isIPv6(bare)) return bare === '::1' || /^::ffff:127\./i.test(bare)
  return false
}

function record(event, address) {
  const entry = { at: Date.now() / 1000, event, address }
  fs.appendFileSync(LOG, JSON.stringify(entry) + '\n')
}

function refusal(host) {
  const error = new Error(`offline: refused a connection to ${host}`)
  error.code = 'ECONNREFUSED'
  return error
}

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  // net.connect passes its arguments normalised, as one array: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  const options = first !== null && typeof first === 'object' ? first : { port: first, host: args[1] }
  if (!options.path && !loopback(options.host)) {
    record('connect', [options.host, options.port])
    process.nextTick(() => this.destroy(refusal(options.host)))
    return this
  }
  return connect.apply(this, args)
}

const lookup = dns.lookup
dns.lookup = function (hostname, options, callback) {
  if (!loopback(hostname)) {
    record('lookup', [hostname, null])
    const done = typeof options === 'function' ? options : callback
    const error = new Error(`offline: refused to look up ${hostname}`)
    error.code = 'ENOTFOUND'
    process.nextTick(() => done(error))
    return {}
  }
  return lookup.call(this, hostname, options, callback)
}

const lookupPromise = dns.promises.lookup
dns.promises.lookup = async function (hostname, options) {
  if (!loopback(hostname)) {
    record('lookup', [hostname, null])
    const error = new Error(`offline: refused to look up ${hostname}`)
    error.code = 'ENOTFOUND'
    throw error
  }
  return lookupPromise.call(this, hostname, options)
}
