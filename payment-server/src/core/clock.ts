/** The server's clock in Unix seconds (what the store records; the chain's own clock decides close deadlines). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
