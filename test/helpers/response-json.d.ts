// Tests read response bodies loosely and assert their exact shape with expect(); this lets
// `await response.json()` be indexed without a cast in every test.
export {};
declare global {
  interface Response {
    json(): Promise<any>;
  }
}
