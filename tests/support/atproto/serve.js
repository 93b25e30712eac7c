// Runs one of the reference AT Protocol services on loopback, configured from the
// environment by the harness (pds.py): `node --require ./offline.js serve.js plc` (a PLC
// directory in memory, on PLC_PORT) or `... serve.js pds` (a PDS, from its own PDS_*
// variables). Both bind 127.0.0.1 only, stop on SIGTERM, and exit when the process that
// started them (HARNESS_PARENT_PID) is gone, so a killed test run leaves no servers.
'use strict'

const services = {
  async plc() {
    const { Database, PlcServer } = require('@did-plc/server')
    return PlcServer.create({ db: Database.mock(), port: Number(process.env.PLC_PORT) })
  },
  async pds() {
    const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds')
    const env = readEnv()
    return PDS.create(envToCfg(env), envToSecrets(env))
  },
}

function onLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, '127.0.0.1', ...rest)
}

function watchParent() {
  const parent = Number(process.env.HARNESS_PARENT_PID)
  if (!parent) return
  setInterval(() => {
    try {
      process.kill(parent, 0)
    } catch {
      process.exit(0)
    }
  }, 1000).unref()
}

async function main(name) {
  const make = services[name]
  if (!make) throw new Error(`usage: serve.js ${Object.keys(services).join('|')}`)
  const service = await make()
  onLoopback(service.app)
  await service.start()
  watchParent()
  process.on('SIGTERM', async () => {
    await service.destroy()
    process.exit(0)
  })
  console.log(`${name} listening`)
}

main(process.argv[2]).catch((error) => {
  console.error(error)
  process.exit(1)
})
