// Browser programs (tsconfig.browser.json) resolve the `node` type library here: nothing. ethers' type files
// reference Node's types for a provider the browser never loads (IPC sockets); without this empty stand-in those
// references would bring Buffer, process and node: modules into code that has to run in a browser.
export {};
