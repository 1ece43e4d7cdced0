// The loader side of module-report.mjs: tells the main thread each module URL that is resolved.
let port

export async function initialize (data) {
  port = data.port
}

export async function resolve (specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context)
  port.postMessage(resolved.url)
  return resolved
}
